using Portal.Core.Apps;

namespace Portal.Core.Tests.Apps;

public sealed class NotationTests
{
    [Theory]
    [InlineData("a b  c", new[] { "a", "b", "c" })]
    [InlineData("sh -c 'echo $HOME; ls'", new[] { "sh", "-c", "echo $HOME; ls" })]
    [InlineData("say \"a \\\"b\\\" c\"", new[] { "say", "a \"b\" c" })]
    [InlineData("a\\ b", new[] { "a b" })]
    [InlineData("''", new[] { "" })]
    public void ShellWords_SplitLikeCompose_WithoutExpanding(string text, string[] words) => Assert.Equal(words, ShellWords.Split(text));

    [Theory]
    [InlineData("'open")]
    [InlineData("\"open")]
    [InlineData("trailing\\")]
    public void ShellWords_RefuseOpenQuotes(string text) => Assert.Null(ShellWords.Split(text));

    [Theory]
    [InlineData("512m", 512L)]
    [InlineData("1g", 1024L)]
    [InlineData("1.5GB", 1536L)]
    [InlineData("1048576", 1L)]
    [InlineData("100k", 1L)]
    public void ComposeMemory_IsReadInMiB_RoundedUp(string text, long mib) => Assert.Equal(mib, Quantities.ComposeMemoryMiB(text));

    [Theory]
    [InlineData("512Mi", 512L)]
    [InlineData("1Gi", 1024L)]
    [InlineData("1G", 954L)]
    [InlineData("128974848", 123L)]
    public void KubeMemory_IsReadInMiB_RoundedUp(string text, long mib) => Assert.Equal(mib, Quantities.KubeMemoryMiB(text));

    [Theory]
    [InlineData("-1g")]
    [InlineData("1x")]
    [InlineData("0")]
    public void BadSizes_AreNotRead(string text) => Assert.Null(Quantities.ComposeMemoryMiB(text));

    [Theory]
    [InlineData("1m30s", 90.0)]
    [InlineData("500ms", 0.5)]
    [InlineData("1h", 3600.0)]
    public void Durations_AreRead(string text, double seconds) => Assert.Equal(TimeSpan.FromSeconds(seconds), Quantities.Duration(text));

    [Theory]
    [InlineData("500m", true, 0.5)]
    [InlineData("2", false, 2.0)]
    [InlineData("0.25", false, 0.25)]
    public void Cpus_AreRead(string text, bool kube, double cpus) => Assert.Equal(cpus, Quantities.Cpus(text, kube));
}

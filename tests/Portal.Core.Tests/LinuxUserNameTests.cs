using Portal.Launcher.Protocol;

namespace Portal.Core.Tests;

public sealed class LinuxUserNameTests
{
    [Theory]
    [InlineData("alice")]
    [InlineData("_svc")]
    [InlineData("ptest-bob")]
    [InlineData("a1_b-2")]
    [InlineData("abcdefghijklmnopqrstuvwxyzabcdef")]
    public void Valid_names_are_accepted(string name) => Assert.True(LinuxUserName.IsValid(name));

    [Theory]
    [InlineData("")]
    [InlineData("root ")]
    [InlineData("#0")]
    [InlineData("0")]
    [InlineData("1000")]
    [InlineData("-rf")]
    [InlineData("Alice")]
    [InlineData("al.ice")]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData("a;b")]
    [InlineData("$(id)")]
    [InlineData("a\nb")]
    [InlineData("a\0b")]
    [InlineData("jos\u00e9")]
    [InlineData("machine$")]
    [InlineData("abcdefghijklmnopqrstuvwxyzabcdefg")]
    public void Invalid_names_are_refused_with_a_reason(string name)
    {
        Assert.False(LinuxUserName.IsValid(name));
        Assert.NotNull(LinuxUserName.Validate(name));
    }

    [Fact]
    public void Null_is_refused() => Assert.False(LinuxUserName.IsValid(null));
}

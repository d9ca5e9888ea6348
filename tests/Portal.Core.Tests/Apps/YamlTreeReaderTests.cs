using System.Text;
using Portal.Core.Apps.Yaml;

namespace Portal.Core.Tests.Apps;

public sealed class YamlTreeReaderTests
{
    [Fact]
    public void Lines_AreOneBased()
    {
        // Act
        var root = (YamlMapping)YamlTreeReader.Read("a: 1\nb:\n  c: x\n", out _)!;

        // Assert
        Assert.Equal(1, root.Entries[0].Key.Line);
        Assert.Equal(3, ((YamlMapping)root.Entries[1].Value).Entries[0].Key.Line);
    }

    [Fact]
    public void MergeKeys_GiveWayToKeysWrittenInTheMapping()
    {
        // Act
        var root = (YamlMapping)YamlTreeReader.Read("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n", out _)!;

        // Assert
        var merged = (YamlMapping)root.Entries[1].Value;
        Assert.Equal(["y", "x"], merged.Entries.Select(e => e.Key.Value));
        Assert.Equal("3", ((YamlScalar)merged.Entries[0].Value).Value);
    }

    [Fact]
    public void AnAliasBomb_IsRefusedWithoutBeingExpanded()
    {
        // Arrange: 10^12 nodes when expanded.
        var text = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 12; i++)
        {
            text.Append($"a{i}: &a{i} [" + string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10)) + "]\n");
        }

        // Act
        var root = YamlTreeReader.Read(text.ToString(), out var problem);

        // Assert
        Assert.Null(root);
        Assert.Contains("alias", problem!.Message, StringComparison.Ordinal);
        Assert.True(problem.Line is > 1 and < 12);
    }

    [Fact]
    public void ManyAliases_AreRefusedEvenWhenSmall()
    {
        // Arrange
        var text = "a: &a x\nb: [" + string.Join(", ", Enumerable.Repeat("*a", YamlLimits.MaxAliases + 1)) + "]\n";

        // Act / Assert
        Assert.Null(YamlTreeReader.Read(text, out var problem));
        Assert.Contains("aliases", problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeepNesting_IsRefused()
    {
        // Arrange
        var text = new string('[', 100) + new string(']', 100);

        // Act / Assert
        Assert.Null(YamlTreeReader.Read(text, out var problem));
        Assert.Contains("deeper", problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAliasToAnUnknownAnchor_AndALargeFile_AreRefused()
    {
        Assert.Null(YamlTreeReader.Read("a: *nope\n", out var unknown));
        Assert.Contains("no anchor", unknown!.Message, StringComparison.Ordinal);
        Assert.Null(YamlTreeReader.Read("a: '" + new string('x', YamlLimits.MaxChars) + "'\n", out var large));
        Assert.Contains("larger", large!.Message, StringComparison.Ordinal);
    }
}

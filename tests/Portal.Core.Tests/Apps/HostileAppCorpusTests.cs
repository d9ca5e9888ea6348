using System.Globalization;
using Portal.Core.Apps;

namespace Portal.Core.Tests.Apps;

/// <summary>
/// Every file under TestData/apps/hostile is refused, and the first line of each says where: <c># expect: KEY line N</c>.
/// The same files are submitted through the portal in the web tests (one audit record each, nothing started).
/// </summary>
public sealed class HostileAppCorpusTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestData", "apps", "hostile");

    public static TheoryData<string> Files() => [.. Directory.GetFiles(Folder, "*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Files))]
    public void HostileFile_IsRefusedAtTheKeyAndLineItNames(string file)
    {
        // Arrange
        var text = File.ReadAllText(Path.Combine(Folder, file));
        var expect = text.Split('\n')[0]["# expect: ".Length..];
        var lineWord = expect.LastIndexOf(" line ", StringComparison.Ordinal);
        var key = expect[..lineWord];
        var line = int.Parse(expect[(lineWord + " line ".Length)..], CultureInfo.InvariantCulture);

        // Act
        var problems = AppProblems(text);

        // Assert
        Assert.NotEmpty(problems);
        Assert.True(problems.Any(p => p.Key == key.Trim() && (line == 0 ? p.Line > 0 : p.Line == line)),
            $"expected {key} at line {line}; got:\n" + string.Join("\n", problems.Select(p => $"{p.Key} @ {p.Line}: {p.Message}")));
        Assert.All(problems, p => Assert.False(string.IsNullOrWhiteSpace(p.Message)));
    }

    [Fact]
    public void Corpus_CoversEveryKeyTheAllowListRefusesByName()
    {
        // Arrange
        var names = Directory.GetFiles(Folder, "*.yaml").Select(f => File.ReadAllText(f)).ToList();

        // Act / Assert: the keys the docs promise are refused each have a file that uses them.
        foreach (var key in new[] { "privileged", "network_mode", "pid", "ipc", "cap_add", "security_opt", "devices", "sysctls",
            "userns_mode", "cgroup_parent", "build", "env_file", "configs", "secrets", "driver_opts", "driver", "include", "extends",
            "portal.", "published", "hostNetwork", "hostPID", "securityContext", "hostPort", "${" })
        {
            Assert.Contains(names, text => text.Contains(key, StringComparison.Ordinal));
        }
    }

    /// <summary>What the portal says about a file: the parser's problems, else the validator's.</summary>
    internal static IReadOnlyList<AppProblem> AppProblems(string text)
    {
        var parsed = AppFileParser.Parse(text);
        return parsed.Spec is null ? parsed.Problems : AppSpecValidator.Validate(parsed.Spec, AppTestContext.Submission, AppTestContext.Context());
    }
}

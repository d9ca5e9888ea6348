using Portal.Launcher.Tests.Infrastructure;
using Portal.Tests.Corpus;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// Requests that must be refused (tests/Corpus/launcher-bad-requests.json, which the portal's submit tests read
/// too). Each must get a readable error, a non-zero exit code and an audit record, and must not have started podman.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class BadInputCorpusTests(LauncherFixture f)
{
    // The theory is keyed by the case's printable name: requests with NUL or 70 KB would not survive test-case serialisation.
    public static TheoryData<string> Cases() => new(LauncherCorpus.Cases.Keys);

    [Fact]
    public void Corpus_HasAtLeastAHundredCases() => Assert.True(LauncherCorpus.Cases.Count >= 100, $"{LauncherCorpus.Cases.Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadRequest_IsRefused_Audited_AndStartsNoPodman(string name)
    {
        string request = LauncherCorpus.Case(name).RequestText(Places(f));
        LauncherCall call = await LauncherRunner.RunAsync(f, request);

        Assert.True(call.ExitCode != 0, $"{name}: {call}");
        // JSON verbs answer with {"ok":false,"error":...}; for logs (a raw stream) the error is on stderr only.
        Assert.True(call.Response is null || !call.Response.Ok, $"{name}: {call}");
        Assert.False(string.IsNullOrWhiteSpace(call.Response?.Error ?? call.Stderr), $"{name}: {call}");
        Assert.Contains("portal-launcher: ", call.Stderr, StringComparison.Ordinal);
        Assert.Contains(LauncherRunner.AuditRecords(call), r => r.GetProperty("decision").GetString() == "refused");
        Assert.Empty(LauncherRunner.PodmanStarts(call));
    }

    /// <summary>Alice's accounts and folders as the fixture made them.</summary>
    internal static CorpusPlaces Places(LauncherFixture f) =>
        new(f.Alice.Name, f.Alice.Home, f.Bob.Name, f.Bob.Home, LauncherFixture.ProjectsRoot + "/alice");
}

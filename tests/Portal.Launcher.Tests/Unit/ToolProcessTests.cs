using Portal.Launcher.Podman;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Unit;

/// <summary>The launcher's own process spawning (posix_spawn + poll): what the tool gets and what comes back.</summary>
public sealed class ToolProcessTests
{
    private static readonly Dictionary<string, string> Env = new(StringComparer.Ordinal) { ["PATH"] = "/usr/bin:/bin", ["ONLY"] = "this" };

    [Fact]
    public async Task BothStreams_AreReadInFull_EvenWhenEachIsLargerThanAPipe()
    {
        // 1 MiB on each stream: a reader that drained one stream before the other would deadlock here.
        ToolResult r = await ToolProcess.RunAsync(["/bin/sh", "-c", "head -c 1048576 /dev/zero | tr '\\0' o; head -c 1048576 /dev/zero | tr '\\0' e >&2"], Env);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(1048576, r.Stdout.Length);
        Assert.Equal(1048576, r.Stderr.Length);
        Assert.All(r.Stdout, c => Assert.Equal('o', c));
    }

    [Fact]
    public async Task TheExitCode_ComesBack_AndASignalReadsAs128PlusItsNumber()
    {
        Assert.Equal(7, (await ToolProcess.RunAsync(["/bin/sh", "-c", "exit 7"], Env)).ExitCode);
        Assert.Equal(128 + 9, (await ToolProcess.RunAsync(["/bin/sh", "-c", "kill -9 $$"], Env)).ExitCode);
    }

    [Fact]
    public async Task PastItsDeadline_TheToolAndWhatItStartedAreKilled()
    {
        // The tool's child prints its pid first: it must be gone too, not only the tool.
        ToolResult r = await ToolProcess.RunAsync(["/bin/sh", "-c", "sleep 300 & echo $!; wait"], Env, deadline: TimeSpan.FromMilliseconds(500));

        Assert.True(r.TimedOut);
        Assert.Equal(128 + 9, r.ExitCode);
        int child = int.Parse(r.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Wait.UntilAsync(() => Task.FromResult(File.Exists($"/proc/{child}/stat") && !File.ReadAllText($"/proc/{child}/stat").Contains(") Z ", StringComparison.Ordinal)),
            alive => !alive, TimeSpan.FromSeconds(10), "the tool's child to be killed");
    }

    [Fact]
    public async Task WithinItsDeadline_TheToolFinishesNormally()
    {
        ToolResult r = await ToolProcess.RunAsync(["/bin/sh", "-c", "echo fine"], Env, deadline: TimeSpan.FromSeconds(30));

        Assert.False(r.TimedOut);
        Assert.Equal("fine\n", r.Stdout);
    }

    [Fact]
    public async Task TheEnvironment_IsExactlyTheOneGiven()
    {
        ToolResult r = await ToolProcess.RunAsync(["/usr/bin/env"], Env);

        Assert.Equal(["ONLY=this", "PATH=/usr/bin:/bin"], r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TheTool_StartsInTheWorkingDirectory_WithStdinAtEndOfFile()
    {
        ToolResult r = await ToolProcess.RunAsync(["/bin/sh", "-c", "pwd; cat; echo done"], Env, "/usr");

        Assert.Equal("/usr\ndone\n", r.Stdout);
    }

    [Fact]
    public async Task TheTool_StartsWithNoStandardSignalIgnoredOrBlocked()
    {
        // The .NET runtime ignores SIGPIPE; a tool inheriting that would not die on a closed pipe.
        // Signals 1-31 only: glibc keeps 32 and 33 for itself, and sigfillset leaves them out.
        ToolResult r = await ToolProcess.RunAsync(["/bin/sh", "-c", "grep -E '^Sig(Ign|Blk)' /proc/self/status"], Env);

        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        foreach (string line in lines)
        {
            ulong mask = ulong.Parse(line.Split('\t')[1], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True((mask & 0x7FFF_FFFFUL) == 0, line);
        }
    }

    [Fact]
    public async Task DescriptorsTheLauncherOpened_DoNotReachTheTool()
    {
        // The launcher marks inherited descriptors close-on-exec at start (tested end to end in
        // PrivilegeTests); here: the spawn keeps it so for its own files and the pipes' read ends.
        using var opened = File.OpenRead("/etc/hostname");
        string fd = opened.SafeFileHandle.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture);
        ToolResult r = await ToolProcess.RunAsync(["/bin/sh", "-c", "ls /proc/$$/fd; readlink /proc/$$/fd/*"], Env);

        Assert.DoesNotContain(fd, r.Stdout.Split('\n'));
        Assert.DoesNotContain("/etc/hostname", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingTool_IsAnIOErrorThatNamesIt()
    {
        var e = await Assert.ThrowsAsync<IOException>(() => ToolProcess.RunAsync(["/nonexistent/podman", "run"], Env));

        Assert.Contains("/nonexistent/podman", e.Message, StringComparison.Ordinal);
    }
}

using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// How a log stream ends when its caller stops listening. Through sudo the portal cannot signal the
/// launcher (it runs as root, then as the job's owner), so the launcher watches its caller instead:
/// a followed stream that asked for it ends when stdin closes, any stream when nobody reads stdout any more.
/// SudoDeployTests repeats the first case as the portal's service user, through sudo.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class LogStreamEndTests(LauncherFixture f)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task AFollowedStream_EndsWithItsPodman_WhenTheCallerClosesStdin()
    {
        string job = await StartQuietJobAsync();
        try
        {
            using HeldStdin stream = await HeldStdin.StartAsync(Requests.Logs(f.Alice.Name, job, follow: true, untilStdinCloses: true), f.LauncherPath);
            Assert.Equal("ready", LogFrame.Parse(await stream.ReadLineAsync(TimeSpan.FromSeconds(30)) ?? "").Text);

            stream.CloseStdin();

            Assert.True(await stream.ExitsWithinAsync(Soon), "the launcher still runs after its caller closed stdin");
            await FollowersGoneAsync(job);
            Assert.Contains(AuditDetails(stream), d => d == "caller hung up; podman logs ended");
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task AFollowedStream_EndsWithItsPodman_WhenNobodyReadsStdoutAnyMore()
    {
        string job = await StartQuietJobAsync();
        try
        {
            using HeldStdin stream = await HeldStdin.StartAsync(Requests.Logs(f.Alice.Name, job, follow: true), f.LauncherPath);
            Assert.Equal("ready", LogFrame.Parse(await stream.ReadLineAsync(TimeSpan.FromSeconds(30)) ?? "").Text);

            // Not asked to watch stdin (which stays open anyway): only the closed read end tells the launcher to stop.
            stream.CloseStdout();

            Assert.True(await stream.ExitsWithinAsync(Soon), "the launcher still runs after its reader went away");
            await FollowersGoneAsync(job);
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task AFollowedStream_WhoseStdinStaysOpen_LastsAfterTheRequest()
    {
        string job = await StartQuietJobAsync();
        try
        {
            using HeldStdin stream = await HeldStdin.StartAsync(Requests.Logs(f.Alice.Name, job, follow: true, untilStdinCloses: true), f.LauncherPath);
            Assert.Equal("ready", LogFrame.Parse(await stream.ReadLineAsync(TimeSpan.FromSeconds(30)) ?? "").Text);

            Assert.False(await stream.ExitsWithinAsync(TimeSpan.FromSeconds(2)), "the stream ended while its caller still listened");
            Assert.Single(Procs.Find(f.Alice.Uid, "logs --timestamps --follow -- portal-job-" + job));
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task ARequestEndedByANewline_IsAnswered_WhileStdinStaysOpen()
    {
        using HeldStdin call = await HeldStdin.StartAsync(Requests.User("list", f.Alice.Name), f.LauncherPath);

        Assert.True(await call.ExitsWithinAsync(TimeSpan.FromSeconds(30)), "the launcher waited for the end of stdin");
        Assert.Equal(0, call.ExitCode);
        Assert.Contains("\"ok\":true", await call.ReadStdoutToEndAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReplyNobodyReads_EndsTheCallNormally()
    {
        using HeldStdin call = await HeldStdin.StartAsync(Requests.User("list", f.Alice.Name), stdoutClosedFirst: true, f.LauncherPath);

        Assert.True(await call.ExitsWithinAsync(TimeSpan.FromSeconds(30)), "the launcher did not end");
        Assert.Equal(0, call.ExitCode);
        Assert.Contains(AuditDetails(call), d => d.StartsWith("listed ", StringComparison.Ordinal));
    }

    private async Task<string> StartQuietJobAsync()
    {
        string job = LauncherRunner.NewJob();
        LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, job, ["sh", "-c", "echo ready; exec sleep 600"]));
        Assert.True(run.ExitCode == 0, run.ToString());
        return job;
    }

    private async Task FollowersGoneAsync(string job) =>
        await Wait.UntilAsync(() => Task.FromResult(Procs.Find(f.Alice.Uid, "logs --timestamps --follow -- portal-job-" + job).Count),
            n => n == 0, Soon, "podman logs --follow to end");

    public static List<string> AuditDetails(HeldStdin call) =>
        [.. LauncherRunner.AuditRecords(new LauncherCall(0, "", "", call.Pid, null, call.StartedAtUtc))
            .Select(r => r.GetProperty("detail").GetString() ?? "")];
}

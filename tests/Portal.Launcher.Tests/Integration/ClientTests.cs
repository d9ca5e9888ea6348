using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>The portal-side client against the real launcher (started as root, as sudo would).</summary>
[Collection(LauncherTestGroup.Name)]
public sealed class ClientTests(LauncherFixture f)
{
    private ProcessLauncher Client(TimeSpan? timeout = null) =>
        new(new LauncherOptions { LauncherPath = f.LauncherPath, UseSudo = false, Timeout = timeout ?? TimeSpan.FromSeconds(60) });

    [Fact]
    public async Task RunInspectLogsStopRemove_WorkThroughTheClient()
    {
        ProcessLauncher launcher = Client();
        string job = LauncherRunner.NewJob();

        StartedJob started = await launcher.RunAsync(f.Alice.Name, job, new RunSpec { Image = LauncherFixture.Image, Command = ["sh", "-c", "echo via-client; sleep 300"] });

        Assert.Equal("portal-job-" + job, started.ContainerName);
        Assert.Equal("running", (await launcher.InspectAsync(f.Alice.Name, job)).State);
        Assert.Contains(await launcher.ListAsync(f.Alice.Name), c => c.Job == job);
        string firstLine = await Wait.UntilAsync(
            async () => (await launcher.StreamLogsAsync(f.Alice.Name, job, new LogsSpec()).FirstOrDefaultAsync())?.Text ?? "",
            l => l.Length > 0, TimeSpan.FromSeconds(30), "the first log line");
        Assert.Equal("via-client", firstLine);
        await launcher.StopAsync(f.Alice.Name, job, TimeSpan.Zero);
        Assert.Equal("exited", (await launcher.InspectAsync(f.Alice.Name, job)).State);
        await launcher.RemoveAsync(f.Alice.Name, job, TimeSpan.Zero);
        Assert.DoesNotContain(await launcher.ListAsync(f.Alice.Name), c => c.Job == job);
    }

    [Fact]
    public async Task ARefusedRequest_ThrowsWithTheLaunchersReason()
    {
        var e = await Assert.ThrowsAsync<LauncherException>(() => Client().RunAsync("root", "x1", new RunSpec { Image = LauncherFixture.Image }));

        Assert.Equal(LauncherFailure.Refused, e.Failure);
        Assert.Equal(2, e.ExitCode);
        Assert.Contains("'root' is root", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APodmanFailure_ThrowsWithPodmansMessage()
    {
        var e = await Assert.ThrowsAsync<LauncherException>(() => Client().InspectAsync(f.Alice.Name, "no-such-job"));

        Assert.Equal(LauncherFailure.OperationFailed, e.Failure);
        Assert.Contains("no such container", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ACallPastItsTimeout_ThrowsTimedOut()
    {
        var e = await Assert.ThrowsAsync<LauncherException>(() => Client(TimeSpan.FromMilliseconds(1)).CheckAsync(f.Alice.Name));

        Assert.Equal(LauncherFailure.TimedOut, e.Failure);
    }

    [Fact]
    public async Task ACancelledCall_ThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client().ListAsync(f.Alice.Name, cts.Token));
    }

    [Fact]
    public async Task AMissingLauncher_ThrowsNotStarted()
    {
        var launcher = new ProcessLauncher(new LauncherOptions { LauncherPath = "/nonexistent/portal-launcher", UseSudo = false });

        var e = await Assert.ThrowsAsync<LauncherException>(() => launcher.ListAsync(f.Alice.Name));

        Assert.Equal(LauncherFailure.NotStarted, e.Failure);
    }

    [Fact]
    public async Task StreamingLogs_Follows_AndCancellingEndsTheStream()
    {
        ProcessLauncher launcher = Client();
        string job = LauncherRunner.NewJob();
        await launcher.RunAsync(f.Alice.Name, job, new RunSpec { Image = LauncherFixture.Image, Command = ["sh", "-c", "while true; do echo tick; sleep 0.1; done"] });
        using var cts = new CancellationTokenSource();
        var lines = new List<string>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (LogLine line in launcher.StreamLogsAsync(f.Alice.Name, job, new LogsSpec { Follow = true }, cts.Token))
            {
                lines.Add(line.Text);
                if (lines.Count == 5)
                {
                    await cts.CancelAsync();
                }
            }
        });

        Assert.Equal(5, lines.Count(l => l == "tick"));
        await Wait.UntilAsync(() => Task.FromResult(Procs.Find(f.Alice.Uid, "logs --timestamps --follow -- portal-job-" + job).Count),
            n => n == 0, TimeSpan.FromSeconds(10), "the follow stream to end");
        await launcher.RemoveAsync(f.Alice.Name, job, TimeSpan.Zero);
    }

    [Fact]
    public async Task ARefusedLogRequest_ThrowsInsteadOfYieldingTheError()
    {
        var e = await Assert.ThrowsAsync<LauncherException>(async () =>
        {
            await foreach (LogLine line in Client().StreamLogsAsync(f.Bob.Name, "no-such-job", new LogsSpec()))
            {
                Assert.Fail("yielded " + line);
            }
        });

        Assert.Equal(LauncherFailure.OperationFailed, e.Failure);
    }
}

using System.Runtime.CompilerServices;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Launcher;

namespace Portal.Web.Tests.Unit;

public sealed class LogStreamLimitTests
{
    [Fact]
    public async Task A_user_past_the_cap_is_refused_and_closing_a_stream_lets_the_next_one_in()
    {
        var inner = new EndlessLogs();
        var limits = new LogStreamLimits(inner, new LogStreamOptions { MaxStreamsPerUser = 2 });
        using var stop = new CancellationTokenSource();
        var first = limits.StreamLogsAsync("alice", "1", new LogsSpec { Follow = true }, stop.Token).GetAsyncEnumerator();
        var second = limits.StreamLogsAsync("alice", "2", new LogsSpec { Follow = true }, stop.Token).GetAsyncEnumerator();
        Assert.True(await first.MoveNextAsync());
        Assert.True(await second.MoveNextAsync());

        var third = limits.StreamLogsAsync("alice", "3", new LogsSpec { Follow = true }).GetAsyncEnumerator();
        var refused = await Assert.ThrowsAsync<LauncherException>(async () => await third.MoveNextAsync());
        var bobs = limits.StreamLogsAsync("bob", "4", new LogsSpec { Follow = true }).GetAsyncEnumerator();

        Assert.Equal(LauncherFailure.Refused, refused.Failure);
        Assert.Contains("already has 2 job logs open", refused.Message, StringComparison.Ordinal);
        Assert.True(await bobs.MoveNextAsync());
        await first.DisposeAsync();
        var fourth = limits.StreamLogsAsync("alice", "5", new LogsSpec { Follow = true }).GetAsyncEnumerator();
        Assert.True(await fourth.MoveNextAsync());
        await second.DisposeAsync();
        await third.DisposeAsync();
        await fourth.DisposeAsync();
        await bobs.DisposeAsync();
    }

    [Fact]
    public async Task A_Slurm_jobs_output_file_counts_against_the_same_cap_as_container_logs()
    {
        var logs = new EndlessLogs();
        var limits = new LogStreamLimits(logs, new LogStreamOptions { MaxStreamsPerUser = 1 }, new EndlessSlurmOutput(logs));
        var container = limits.StreamLogsAsync("alice", "1", new LogsSpec { Follow = true }).GetAsyncEnumerator();
        Assert.True(await container.MoveNextAsync());

        var output = limits.StreamLogAsync("alice", "2", 7, new LogsSpec { Follow = true }).GetAsyncEnumerator();
        var refused = await Assert.ThrowsAsync<LauncherException>(async () => await output.MoveNextAsync());
        await container.DisposeAsync();
        var again = limits.StreamLogAsync("alice", "2", 7, new LogsSpec { Follow = true }).GetAsyncEnumerator();

        Assert.Equal(LauncherFailure.Refused, refused.Failure);
        Assert.True(await again.MoveNextAsync());
        Assert.Equal("tick", again.Current);
        await output.DisposeAsync();
        await again.DisposeAsync();
    }

    /// <summary>A Slurm job's output file that keeps growing.</summary>
    private sealed class EndlessSlurmOutput(EndlessLogs lines) : ISlurmLauncher
    {
        public IAsyncEnumerable<string> StreamLogAsync(string user, string job, long slurmJobId, LogsSpec options, CancellationToken cancellationToken = default) =>
            lines.StreamLogsAsync(user, job, options, cancellationToken).Select(l => l.Text);

        public Task<SlurmSubmission> SubmitAsync(string user, string job, RunSpec spec, SlurmSpec slurm, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<SlurmSubmission> SubmitAppAsync(string user, string job, AppSpec app, SlurmSpec slurm, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task CancelAsync(string user, string job, long slurmJobId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<Stream> ConnectAsync(string user, string job, long slurmJobId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    [Fact]
    public async Task A_line_longer_than_the_limit_is_cut_and_says_so_and_the_next_line_is_whole()
    {
        string text = new string('x', 50) + "\r\nshort\n" + new string('y', 10);
        var reader = new BoundedLineReader(new StringReader(text), 20);

        string? first = await reader.ReadLineAsync(CancellationToken.None);
        string? second = await reader.ReadLineAsync(CancellationToken.None);
        string? third = await reader.ReadLineAsync(CancellationToken.None);
        string? end = await reader.ReadLineAsync(CancellationToken.None);

        Assert.Equal(new string('x', 20) + " [line cut at 20 characters]", first);
        Assert.Equal("short", second);
        Assert.Equal(new string('y', 10), third);
        Assert.Null(end);
    }

    /// <summary>Lines without end, as a followed log of a job that keeps printing.</summary>
    private sealed class EndlessLogs : ILauncher
    {
        public async IAsyncEnumerable<LogLine> StreamLogsAsync(string user, string job, LogsSpec options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            while (true)
            {
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
                yield return LogLine.Plain("tick");
            }
        }

        public Task<StartedJob> RunAsync(string user, string job, RunSpec spec, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<CgroupState?> StopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task RemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<CgroupState?> ReleaseAsync(string user, string job, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ContainerState> InspectAsync(string user, string job, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<ContainerState>> ListAsync(string user, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<UserJobs> ListJobsAsync(string user, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<ImageInfo>> ImagesAsync(string user, CancellationToken cancellationToken = default) => throw new NotSupportedException();


        public Task<IReadOnlyList<CheckItem>> CheckAsync(string? user, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<string>?> PolicyGpusAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<SelfTest?> SelfTestAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ProcessKill> KillGpuProcessAsync(string user, ProcessSpec process, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<StartedJob> AppUpAsync(string user, string job, AppSpec app, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<CgroupState?> AppStopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task AppRemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<ContainerState>> AppInspectAsync(string user, string job, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<string> AppExportAsync(string user, string job, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}

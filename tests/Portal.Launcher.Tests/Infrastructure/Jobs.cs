using Portal.Launcher.Protocol;

namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>Job-level steps the integration tests share.</summary>
public static class Jobs
{
    public static async Task<string> StartAsync(LauncherFixture f, TestUser user, IEnumerable<string> command, IEnumerable<string>? gpus = null,
        IReadOnlyDictionary<string, string>? env = null)
    {
        string job = LauncherRunner.NewJob();
        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.Run(user.Name, job, command, gpus, env));
        Assert.True(call.ExitCode == 0, call.ToString());
        return job;
    }

    /// <summary>Starts a job from a full run request (limits, mounts) and fails the test unless it started.</summary>
    public static async Task<LauncherCall> StartAsync(LauncherFixture f, string request)
    {
        LauncherCall call = await LauncherRunner.RunAsync(f, request);
        Assert.True(call.ExitCode == 0, call.ToString());
        return call;
    }

    /// <summary>The kernel's view of the job, from <c>inspect</c> (which carries it also when podman fails).</summary>
    public static async Task<CgroupState> CgroupAsync(LauncherFixture f, TestUser user, string job)
    {
        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.Job("inspect", user.Name, job));
        Assert.True(call.Response?.Cgroup is not null, call.ToString());
        return call.Response!.Cgroup!;
    }

    public static async Task<ContainerState> InspectAsync(LauncherFixture f, TestUser user, string job)
    {
        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.Job("inspect", user.Name, job));
        Assert.True(call.ExitCode == 0 && call.Response?.Container is not null, call.ToString());
        return call.Response!.Container!;
    }

    public static Task<ContainerState> WaitForStateAsync(LauncherFixture f, TestUser user, string job, string state) =>
        Wait.UntilAsync(() => InspectAsync(f, user, job), c => c.State == state, TimeSpan.FromSeconds(30), $"{job} to be {state}");

    /// <summary>Waits until the job's output (podman logs) contains <paramref name="text"/>.</summary>
    /// <summary>The job's output once <paramref name="text"/> is in it: each frame's text (both streams, in order), one per
    /// line, as the job wrote them.</summary>
    public static async Task<string> WaitForLogAsync(LauncherFixture f, TestUser user, string job, string text)
    {
        LauncherCall call = await Wait.UntilAsync(
            () => LauncherRunner.RunAsync(f, Requests.Logs(user.Name, job)),
            c => c.Stdout.Contains(text, StringComparison.Ordinal), TimeSpan.FromSeconds(30), $"'{text}' in the logs of {job}");
        return FramesText(call.Stdout);
    }

    /// <summary>The text of every frame of a log stream, one per line.</summary>
    public static string FramesText(string stream) =>
        string.Concat(stream.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(frame => LogFrame.Parse(frame).Text + "\n"));

    /// <summary>Reads one field line ("Uid:", "Gid:", "Groups:", "NoNewPrivs:", ...) from /proc/&lt;pid&gt;/status.</summary>
    public static string[] StatusField(int pid, string field) =>
        File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal))[(field.Length + 1)..]
            .Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
}

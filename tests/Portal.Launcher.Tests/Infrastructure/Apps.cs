using System.Text.Json;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>App requests as the portal sends them, and the steps the app tests share.</summary>
public static class Apps
{
    private static readonly JsonSerializerOptions s_options = new(LauncherJsonContext.Default.Options);

    public static string Up(string user, string job, AppSpec app) => JsonSerializer.Serialize(
        new LauncherRequest { Version = 1, Verb = LauncherVerbs.AppUp, User = user, Job = job, App = app }, LauncherJsonContext.Default.LauncherRequest);

    public static string Verb(string verb, string user, string job, int? stopSeconds = null) => JsonSerializer.Serialize(
        new LauncherRequest
        {
            Version = 1, Verb = verb, User = user, Job = job,
            Stop = stopSeconds is { } seconds ? new StopSpec { TimeoutSeconds = seconds } : null,
        }, LauncherJsonContext.Default.LauncherRequest);

    public static string Logs(string user, string job, string service) => JsonSerializer.Serialize(
        new LauncherRequest { Version = 1, Verb = LauncherVerbs.AppLogs, User = user, Job = job, Logs = new LogsSpec { Service = service } },
        LauncherJsonContext.Default.LauncherRequest);

    public static AppServiceSpec Service(string name, IReadOnlyList<string> command, IReadOnlyList<string>? gpus = null) => new()
    {
        Name = name,
        Run = new RunSpec { Image = LauncherFixture.Image, Command = command, Gpus = gpus },
    };

    public static async Task<List<ContainerState>> InspectAsync(LauncherFixture f, TestUser user, string job)
    {
        LauncherCall call = await LauncherRunner.RunAsync(f, Verb(LauncherVerbs.AppInspect, user.Name, job));
        Assert.True(call.ExitCode == 0 && call.Response?.Containers is not null, call.ToString());
        return [.. call.Response!.Containers!];
    }

    public static async Task<string> WaitForLogAsync(LauncherFixture f, TestUser user, string job, string service, string text)
    {
        LauncherCall call = await Wait.UntilAsync(
            () => LauncherRunner.RunAsync(f, Logs(user.Name, job, service)),
            c => (c.Stdout + c.Stderr).Contains(text, StringComparison.Ordinal), TimeSpan.FromSeconds(30), $"'{text}' in the log of {job}/{service}");

        // Both streams come framed on stdout (busybox httpd -v logs to stderr); podman's own errors stay on stderr.
        return Jobs.FramesText(call.Stdout) + call.Stderr;
    }

    /// <summary>Removes the app whatever state it is in (test cleanup).</summary>
    public static Task RemoveAsync(LauncherFixture f, TestUser user, string job) =>
        LauncherRunner.RunAsync(f, Verb(LauncherVerbs.AppRemove, user.Name, job, stopSeconds: 0));

    public static async Task<bool> PodExistsAsync(TestUser user, string job) =>
        (await LauncherFixture.PodmanAsync(user, "pod", "exists", LauncherProtocol.PodName(job))).ExitCode == 0;
}

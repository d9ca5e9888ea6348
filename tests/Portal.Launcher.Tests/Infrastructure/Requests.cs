using System.Text.Json;

namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>Request JSON as the portal would send it.</summary>
public static class Requests
{
    public static string Run(string user, string job, IEnumerable<string> command, IEnumerable<string>? gpus = null,
        IReadOnlyDictionary<string, string>? env = null, IEnumerable<object>? mounts = null, string image = LauncherFixture.Image,
        double? cpus = null, long? memoryMiB = null, object? session = null)
    {
        var run = new Dictionary<string, object> { ["image"] = image, ["command"] = command.ToArray() };
        if (session is not null)
        {
            run["session"] = session;
        }

        if (cpus is not null)
        {
            run["cpus"] = cpus;
        }

        if (memoryMiB is not null)
        {
            run["memoryMiB"] = memoryMiB;
        }

        if (gpus is not null)
        {
            run["gpus"] = gpus.ToArray();
        }

        if (env is not null)
        {
            run["env"] = env;
        }

        if (mounts is not null)
        {
            run["mounts"] = mounts.ToArray();
        }

        return JsonSerializer.Serialize(new Dictionary<string, object> { ["version"] = 1, ["verb"] = "run", ["user"] = user, ["job"] = job, ["run"] = run });
    }

    /// <summary>A <c>kill-gpu-process</c> request for <paramref name="user"/>'s process.</summary>
    public static string Kill(string user, int pid, ulong startTime, uint uid) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["version"] = 1, ["verb"] = "kill-gpu-process", ["user"] = user,
            ["process"] = new Dictionary<string, object> { ["pid"] = pid, ["startTime"] = startTime, ["uid"] = uid },
        });

    public static string Job(string verb, string user, string job) =>
        JsonSerializer.Serialize(new Dictionary<string, object> { ["version"] = 1, ["verb"] = verb, ["user"] = user, ["job"] = job });

    public static string Stop(string user, string job, int timeoutSeconds = 1) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["version"] = 1, ["verb"] = "stop", ["user"] = user, ["job"] = job,
            ["stop"] = new Dictionary<string, object> { ["timeoutSeconds"] = timeoutSeconds },
        });

    /// <summary>Force-remove; timeout 0 because a test job's sleep (PID 1) ignores SIGTERM.</summary>
    public static string Remove(string user, string job, int timeoutSeconds = 0) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["version"] = 1, ["verb"] = "remove", ["user"] = user, ["job"] = job,
            ["stop"] = new Dictionary<string, object> { ["timeoutSeconds"] = timeoutSeconds },
        });

    public static string Logs(string user, string job, bool follow = false, int? tail = null, bool untilStdinCloses = false)
    {
        var logs = new Dictionary<string, object> { ["follow"] = follow };
        if (untilStdinCloses)
        {
            logs["untilStdinCloses"] = true;
        }

        if (tail is not null)
        {
            logs["tail"] = tail.Value;
        }

        return JsonSerializer.Serialize(new Dictionary<string, object> { ["version"] = 1, ["verb"] = "logs", ["user"] = user, ["job"] = job, ["logs"] = logs });
    }

    public static string User(string verb, string user) =>
        JsonSerializer.Serialize(new Dictionary<string, object> { ["version"] = 1, ["verb"] = verb, ["user"] = user });
}

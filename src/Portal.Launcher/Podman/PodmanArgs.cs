using Portal.Launcher.Native;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Podman;

/// <summary>Builds podman argv from a validated request. Pure: no I/O, so every rule is unit-testable.</summary>
internal static class PodmanArgs
{
    /// <summary>
    /// The full argv for <c>podman run</c>, after <paramref name="podman"/> (podman and its global options). Options
    /// come only from the launcher and the policy; the image follows a "--" and the job's command follows the image
    /// as separate items. Memory, CPU and task limits are not podman options: the job's cgroup enforces them on
    /// everything the job runs (podman's own start included), where podman's configuration cannot undo them.
    /// </summary>
    public static List<string> Run(IReadOnlyList<string> podman, string job, RunSpec run, UserAccount user, LauncherPolicy policy,
        string? envFile, IReadOnlyList<(string Source, string Target, bool ReadOnly)> mounts)
    {
        var argv = new List<string>(podman)
        {
            "run", "--detach", "--pull=never",
            "--name", JobKeys.ContainerName(job),
            "--label", $"{LauncherProtocol.JobLabel}={job}",
            "--label", $"{LauncherProtocol.OwnerLabel}={user.Name}",
            "--runtime", policy.Runtime,
            "--security-opt", "no-new-privileges",
            "--cap-drop", "all",
            "--log-opt", "max-size=" + policy.LogMaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        if (!policy.AllowNetwork)
        {
            argv.AddRange(["--network", "none"]);
        }

        if (envFile is not null)
        {
            argv.AddRange(["--env-file", envFile]);
        }

        List<PolicyGpu> gpus = [.. (run.Gpus ?? []).Select(id => policy.Gpus.Single(g => g.Id == id))];
        if (policy.UseCdi)
        {
            foreach (PolicyGpu gpu in gpus)
            {
                argv.AddRange(["--device", gpu.Cdi!]);
            }
        }
        else
        {
            foreach (PolicyGpu gpu in gpus)
            {
                argv.AddRange(["--device", gpu.Node]);
            }

            if (gpus.Count > 0)
            {
                foreach (string node in policy.GpuControlNodes)
                {
                    argv.AddRange(["--device", node]);
                }
            }
        }

        // --env wins over the image's ENV and over --env-file, so an image that says
        // NVIDIA_VISIBLE_DEVICES=all still sees only what was allocated ("void" when none).
        string visible = string.Join(',', gpus.Select(g => g.VisibleId ?? g.Id));
        argv.AddRange(["--env", "CUDA_VISIBLE_DEVICES=" + visible]);
        argv.AddRange(["--env", "NVIDIA_VISIBLE_DEVICES=" + (gpus.Count == 0 ? "void" : visible)]);

        foreach ((string source, string target, bool readOnly) in mounts)
        {
            argv.AddRange(["--mount", $"type=bind,source={source},target={target}" + (readOnly ? ",ro=true" : "")]);
        }

        if (run.Workdir is not null)
        {
            argv.AddRange(["--workdir", run.Workdir]);
        }

        argv.Add("--");
        argv.Add(run.Image);
        argv.AddRange(run.Command ?? []);
        return argv;
    }

    public static List<string> Stop(IReadOnlyList<string> podman, string job, int timeoutSeconds) =>
        [.. podman, "stop", "--time", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--", JobKeys.ContainerName(job)];

    /// <summary>
    /// Plain rm, run after a stop: "rm --force" reports success for a name that does not exist,
    /// which would hide a wrong owner or job id from the portal.
    /// </summary>
    public static List<string> Remove(IReadOnlyList<string> podman, string job) =>
        [.. podman, "rm", "--", JobKeys.ContainerName(job)];

    public static List<string> Inspect(IReadOnlyList<string> podman, string job) =>
        [.. podman, "container", "inspect", "--", JobKeys.ContainerName(job)];

    public static List<string> List(IReadOnlyList<string> podman, string user) =>
        [.. podman, "ps", "--all", "--format", "json", "--filter", $"label={LauncherProtocol.OwnerLabel}={user}"];

    public static List<string> Images(IReadOnlyList<string> podman) => [.. podman, "images", "--format", "json"];

    /// <summary>A cheap call that makes podman set up the user's namespace and its pause process, if there is none.</summary>
    public static List<string> Version(IReadOnlyList<string> podman) => [.. podman, "version", "--format", "{{.Client.Version}}"];

    public static List<string> Logs(IReadOnlyList<string> podman, string job, LogsSpec? logs)
    {
        var argv = new List<string>(podman) { "logs" };
        if (logs?.Follow == true)
        {
            argv.Add("--follow");
        }

        if (logs?.Tail is { } tail)
        {
            argv.AddRange(["--tail", tail.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        argv.AddRange(["--", JobKeys.ContainerName(job)]);
        return argv;
    }

    /// <summary>The whole environment podman gets: nothing of the caller's survives.</summary>
    public static Dictionary<string, string> Environment(UserAccount user, string? runtimeDir)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = user.Home,
            ["USER"] = user.Name,
            ["LOGNAME"] = user.Name,
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
            ["LANG"] = "C.UTF-8",
        };
        if (runtimeDir is not null)
        {
            env["XDG_RUNTIME_DIR"] = runtimeDir;
        }

        return env;
    }
}

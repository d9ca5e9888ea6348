using Portal.Launcher.Native;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Podman;

/// <summary>Builds podman argv from a validated request. Pure: no I/O, so every rule is unit-testable.</summary>
internal static class PodmanArgs
{
    /// <summary>
    /// The full argv for <c>podman run</c>. Options come only from the launcher and the policy; the
    /// image follows a "--" and the job's command follows the image as separate items.
    /// </summary>
    public static List<string> Run(string job, RunSpec run, UserAccount user, LauncherPolicy policy,
        string? envFile, IReadOnlyList<(string Source, string Target, bool ReadOnly)> mounts)
    {
        var argv = new List<string>
        {
            policy.Podman, "run", "--detach", "--pull=never",
            "--name", JobKeys.ContainerName(job),
            "--label", $"{LauncherProtocol.JobLabel}={job}",
            "--label", $"{LauncherProtocol.OwnerLabel}={user.Name}",
            "--runtime", policy.Runtime,
            "--security-opt", "no-new-privileges",
            "--cap-drop", "all",
            "--pids-limit", policy.PidsLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
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

        if (run.Cpus is { } cpus)
        {
            argv.AddRange(["--cpus", Validation.RequestValidator.FormatCpus(cpus)]);
        }

        if (run.MemoryMiB is { } memory)
        {
            argv.AddRange(["--memory", memory.ToString(System.Globalization.CultureInfo.InvariantCulture) + "m"]);
        }

        argv.Add("--");
        argv.Add(run.Image);
        argv.AddRange(run.Command ?? []);
        return argv;
    }

    public static List<string> Stop(LauncherPolicy p, string job, int timeoutSeconds) =>
        [p.Podman, "stop", "--time", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--", JobKeys.ContainerName(job)];

    /// <summary>
    /// Plain rm, run after a stop: "rm --force" reports success for a name that does not exist,
    /// which would hide a wrong owner or job id from the portal.
    /// </summary>
    public static List<string> Remove(LauncherPolicy p, string job) =>
        [p.Podman, "rm", "--", JobKeys.ContainerName(job)];

    public static List<string> Inspect(LauncherPolicy p, string job) =>
        [p.Podman, "container", "inspect", "--", JobKeys.ContainerName(job)];

    public static List<string> List(LauncherPolicy p, string user) =>
        [p.Podman, "ps", "--all", "--format", "json", "--filter", $"label={LauncherProtocol.OwnerLabel}={user}"];

    public static List<string> Images(LauncherPolicy p) => [p.Podman, "images", "--format", "json"];

    public static List<string> Logs(LauncherPolicy p, string job, LogsSpec? logs)
    {
        var argv = new List<string> { p.Podman, "logs" };
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

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
    /// everything the job runs (podman's own start included), where podman's configuration cannot undo them; an app's
    /// services share the one cgroup of their app, whose limits are their sums. A session's run also gets its session
    /// folder (<paramref name="sessionFolder"/>, made by the launcher; null for a batch job).
    /// </summary>
    /// <param name="podman">podman and its global options.</param>
    /// <param name="job">The job id.</param>
    /// <param name="run">The validated run section (a job's, or one service's of an app).</param>
    /// <param name="user">The owner.</param>
    /// <param name="policy">The policy.</param>
    /// <param name="envFile">The 0600 env file, or null.</param>
    /// <param name="mounts">Bind mounts, checked as the user.</param>
    /// <param name="member">For a service of an app: what it adds to the same hardened container (pod, hosts file,
    /// volumes, entrypoint, health check, labels). Null for a job.</param>
    /// <param name="sessionFolder">A session's folder, made by the launcher; null for a batch job.</param>
    public static List<string> Run(IReadOnlyList<string> podman, string job, RunSpec run, UserAccount user, LauncherPolicy policy,
        string? envFile, IReadOnlyList<(string Source, string Target, bool ReadOnly)> mounts, PodMember? member = null,
        string? sessionFolder = null)
    {
        var argv = new List<string>(podman)
        {
            "run", "--detach", "--pull=never",
            "--name", member is null ? JobKeys.ContainerName(job) : LauncherProtocol.ServiceContainerName(job, member.Service.Name),
            "--label", member is null ? $"{LauncherProtocol.JobLabel}={job}" : $"{LauncherProtocol.AppLabel}={job}",
            "--label", $"{LauncherProtocol.OwnerLabel}={user.Name}",
            "--runtime", policy.Runtime,
            "--security-opt", "no-new-privileges",
            "--cap-drop", "all",
            "--log-opt", "max-size=" + policy.LogMaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        if (member is not null)
        {
            // The pod owns the network namespace (none): a container of a pod may not set its own.
            argv.AddRange(["--pod", LauncherProtocol.PodName(job), "--label", $"{LauncherProtocol.ServiceLabel}={member.Service.Name}"]);
        }
        else if (!policy.AllowNetwork)
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
            // MIG instances of one GPU share its node: each node once.
            foreach (string node in gpus.SelectMany(g => g.Nodes).Distinct(StringComparer.Ordinal))
            {
                argv.AddRange(["--device", node]);
            }

            if (gpus.Count > 0)
            {
                foreach (string node in policy.GpuControlNodes)
                {
                    argv.AddRange(["--device", node]);
                }

                AddDriverFiles(argv, policy.Driver, mounts);
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

        if (member is not null)
        {
            AddPodMember(argv, job, member);
        }

        if (run.Workdir is not null)
        {
            argv.AddRange(["--workdir", run.Workdir]);
        }

        IReadOnlyList<string> command = run.Command ?? [];
        if (run.Session is { } session && sessionFolder is not null)
        {
            // The app's socket must be 0660 for the portal's group: apps without a mode option get it from the umask.
            argv.AddRange(["--mount", $"type=bind,source={sessionFolder},target={SessionRules.FolderTarget}", "--umask", "0007"]);
            if (session.BridgePort is { } port)
            {
                command = Bridged(argv, policy.Sessions!.Bridge!, port, command);
            }
        }

        argv.Add("--");
        argv.Add(run.Image);
        argv.AddRange(command);
        return argv;
    }

    /// <summary>
    /// The driver's user-space files, read-only, where a CUDA image looks for them (what the NVIDIA runtime injects
    /// with CDI): a library and each of its links in the image's library folder, programs in /usr/bin. A target the
    /// request mounts itself is left to the request (podman refuses a target twice; the job's own files are its own).
    /// </summary>
    private static void AddDriverFiles(List<string> argv, DriverPolicy? driver, IReadOnlyList<(string Source, string Target, bool ReadOnly)> mounts)
    {
        if (driver is null)
        {
            return;
        }

        foreach (DriverFile file in driver.Files)
        {
            foreach (string target in Driver.DriverLayout.Targets(file, driver.Version, BuildConstants.DriverRoot))
            {
                if (!mounts.Any(m => m.Target == target))
                {
                    argv.AddRange(["--mount", $"type=bind,source={file.Path},target={target},ro=true"]);
                }
            }
        }
    }

    private static void AddPodMember(List<string> argv, string job, PodMember member)
    {
        argv.AddRange(["--mount", $"type=bind,source={member.HostsFile},target={AppRules.HostsFileTarget},ro=true"]);
        foreach (AppVolumeMountSpec volume in member.Service.Volumes ?? [])
        {
            argv.AddRange(["--mount", $"type=volume,source={LauncherProtocol.AppVolumeName(job, volume.Volume)},target={volume.Target}" + (volume.ReadOnly ? ",ro=true" : "")]);
        }

        AddServiceOptions(argv, member.Service);
    }

    /// <summary>What a service's own file adds to its container wherever it runs (one box, or a Slurm node): its
    /// labels, its entrypoint and its health check.</summary>
    public static void AddServiceOptions(List<string> argv, AppServiceSpec service)
    {
        ArgumentNullException.ThrowIfNull(argv);
        ArgumentNullException.ThrowIfNull(service);
        foreach ((string key, string value) in service.Labels ?? new Dictionary<string, string>())
        {
            argv.AddRange(["--label", key + "=" + value]);
        }

        if (service.Entrypoint is { } entrypoint)
        {
            // A JSON array: one argv item for podman, read back as separate items, never through a shell.
            argv.AddRange(["--entrypoint", JsonArray(entrypoint)]);
        }

        if (service.Healthcheck is { } health)
        {
            argv.AddRange([
                "--health-cmd", HealthCommand(health.Test),
                // No timer (it would need systemd, outside the job's cgroup): the launcher runs the check itself while a
                // dependent service waits for it.
                "--health-interval", "disable",
                "--health-retries", Number(health.Retries),
                "--health-timeout", Number(health.TimeoutSeconds) + "s",
                "--health-start-period", Number(health.StartPeriodSeconds) + "s",
            ]);
        }
    }

    /// <summary>
    /// Podman 4.3.1 splits a JSON array that starts with "CMD" on blanks (so the array itself becomes one word), but
    /// reads an array of two or more items as ["CMD", items...]. So CMD's argv goes without the keyword; a CMD with a
    /// single item and CMD-SHELL go as ["CMD-SHELL", command], which podman keeps as it is.
    /// </summary>
    internal static string HealthCommand(IReadOnlyList<string> test) => test switch
    {
        ["CMD", var only] => JsonArray(["CMD-SHELL", only]),
        ["CMD", ..] => JsonArray([.. test.Skip(1)]),
        _ => JsonArray(test),
    };

    internal static string JsonArray(IReadOnlyList<string> items)
    {
        using var buffer = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (string item in items)
            {
                writer.WriteStringValue(item);
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Number(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The app's pod: no network (services reach each other on 127.0.0.1), labelled like its containers.</summary>
    public static List<string> PodCreate(IReadOnlyList<string> podman, string job, string user) =>
        [.. podman, "pod", "create", "--name", LauncherProtocol.PodName(job), "--network", "none",
            "--label", $"{LauncherProtocol.AppLabel}={job}", "--label", $"{LauncherProtocol.OwnerLabel}={user}"];

    public static List<string> VolumeCreate(IReadOnlyList<string> podman, string job, string user, string volume) =>
        [.. podman, "volume", "create", "--label", $"{LauncherProtocol.AppLabel}={job}", "--label", $"{LauncherProtocol.OwnerLabel}={user}",
            "--", LauncherProtocol.AppVolumeName(job, volume)];

    public static List<string> HealthcheckRun(IReadOnlyList<string> podman, string job, string service) =>
        [.. podman, "healthcheck", "run", "--", LauncherProtocol.ServiceContainerName(job, service)];

    public static List<string> PodStop(IReadOnlyList<string> podman, string job, int timeoutSeconds) =>
        [.. podman, "pod", "stop", "--time", Number(timeoutSeconds), "--", LauncherProtocol.PodName(job)];

    /// <summary>Plain rm after a stop, as for a job's container: it fails for a pod that does not exist.</summary>
    public static List<string> PodRemove(IReadOnlyList<string> podman, string job) =>
        [.. podman, "pod", "rm", "--", LauncherProtocol.PodName(job)];

    /// <summary>Removes what a failed app-up left: the pod with its containers, running or not.</summary>
    public static List<string> PodRemoveForce(IReadOnlyList<string> podman, string job) =>
        [.. podman, "pod", "rm", "--force", "--time", "0", "--", LauncherProtocol.PodName(job)];

    /// <summary>The app's volumes, by label: only the ones this app's pod used (and nothing in use is removed).</summary>
    public static List<string> VolumePrune(IReadOnlyList<string> podman, string job) =>
        [.. podman, "volume", "prune", "--force", "--filter", $"label={LauncherProtocol.AppLabel}={job}"];

    public static List<string> PodPs(IReadOnlyList<string> podman, string job) =>
        [.. podman, "ps", "--all", "--format", "json", "--filter", "pod=" + LauncherProtocol.PodName(job)];

    public static List<string> KubeGenerate(IReadOnlyList<string> podman, string job) =>
        [.. podman, "kube", "generate", "--", LauncherProtocol.PodName(job)];

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

    /// <summary>A pull of a checked reference: the id alone on stdout. TLS and the registry's address come from the
    /// launcher's registries.conf; a reference can never read as an option (it starts with a letter or digit).</summary>
    public static List<string> Pull(IReadOnlyList<string> podman, string reference) => [.. podman, "pull", "--quiet", reference];

    /// <summary>Never --force: an image a container of the user's still uses stays, and podman says so.</summary>
    public static List<string> RemoveImage(IReadOnlyList<string> podman, string reference) => [.. podman, "image", "rm", reference];

    /// <summary>
    /// A build of a checked folder: no network for RUN steps, never a pull (the base must be in the user's storage), the
    /// layer cache, intermediate containers removed whatever happens, the image tagged <c>localhost/NAME:TAG</c>.
    /// Nothing else of the request reaches podman: no volume, device, capability, security option or build argument.
    /// </summary>
    public static List<string> Build(IReadOnlyList<string> podman, string containerfile, string reference, string context) =>
        [.. podman, "build", "--network", "none", "--pull=never", "--layers", "--force-rm", "--file", containerfile, "--tag", reference, "--", context];

    /// <summary>Every container of the user's storage, buildah's working containers included, by full id.</summary>
    public static List<string> AllContainerIds(IReadOnlyList<string> podman) => [.. podman, "ps", "--all", "--external", "--quiet", "--no-trunc"];

    /// <summary>Every image of the user's storage, intermediate ones included, by full id.</summary>
    public static List<string> AllImageIds(IReadOnlyList<string> podman) => [.. podman, "images", "--all", "--quiet", "--no-trunc"];

    /// <summary>The images no name points to, intermediate ones included, by full id.</summary>
    public static List<string> DanglingImageIds(IReadOnlyList<string> podman) =>
        [.. podman, "images", "--all", "--quiet", "--no-trunc", "--filter", "dangling=true"];

    /// <summary>Removes containers by id, running ones too (a killed build's working containers).</summary>
    public static List<string> RemoveContainers(IReadOnlyList<string> podman, IEnumerable<string> ids) => [.. podman, "rm", "--force", "--", .. ids];

    /// <summary>Removes images by id; never --force, so an image something uses stays.</summary>
    public static List<string> RemoveImages(IReadOnlyList<string> podman, IEnumerable<string> ids) => [.. podman, "image", "rm", "--", .. ids];

    /// <summary>SIGKILL from inside the user's namespace, where the user may signal its subordinate ids too.</summary>
    public static List<string> KillInUserNamespace(IReadOnlyList<string> podman, IEnumerable<int> pids) =>
        [.. podman, "unshare", "/bin/kill", "-KILL", .. pids.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>A cheap call that makes podman set up the user's namespace and its pause process, if there is none.</summary>
    public static List<string> Version(IReadOnlyList<string> podman) => [.. podman, "version", "--format", "{{.Client.Version}}"];

    /// <summary>A job's log, or (with <c>logs.service</c>) one service's of an app. With each line's time: the launcher
    /// merges the two streams podman writes apart by it (<see cref="LogMerger"/>).</summary>
    public static List<string> Logs(IReadOnlyList<string> podman, string job, LogsSpec? logs)
    {
        var argv = new List<string>(podman) { "logs", "--timestamps" };
        if (logs?.Follow == true)
        {
            argv.Add("--follow");
        }

        if (logs?.Tail is { } tail)
        {
            argv.AddRange(["--tail", tail.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        argv.AddRange(["--", logs?.Service is { } service ? LauncherProtocol.ServiceContainerName(job, service) : JobKeys.ContainerName(job)]);
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

    /// <summary>
    /// An app that listens on TCP only, run under sockbridge (<paramref name="bridge"/>, this host's or a node's copy):
    /// adds the bridge's read-only mount and entrypoint to <paramref name="options"/> and returns the command it runs,
    /// which starts the app as its child and relays the session socket to 127.0.0.1:<paramref name="port"/>.
    /// </summary>
    public static IReadOnlyList<string> Bridged(List<string> options, string bridge, int port, IReadOnlyList<string> command)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddRange(["--mount", $"type=bind,source={bridge},target={SessionRules.BridgeTarget},ro=true", "--entrypoint", SessionRules.BridgeTarget]);
        return [SessionRules.SocketInContainer, port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--", .. command];
    }
}

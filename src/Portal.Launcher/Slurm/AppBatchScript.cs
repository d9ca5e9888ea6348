using System.Globalization;
using System.Text;
using Portal.Launcher.Podman;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Slurm;

/// <summary>
/// Writes the batch script of an app on a Slurm cluster: on the node Slurm picks, as the user, it makes the app's pod
/// (no network; the services reach each other on 127.0.0.1 by name through a generated hosts file), its volumes, and
/// one hardened container per service, in start order, each waiting for the services it depends on, as
/// <c>app-up</c> does on one box. The whole app is one Slurm job: its CPUs, memory and GPUs are the services' sums,
/// and Slurm's cgroup holds every service. Pure, like <see cref="BatchScript"/>, whose rules it follows (request text
/// only as single-quoted words after the first command).
/// </summary>
/// <remarks>
/// <para>Each service's output goes to a file of its own beside the job's output file
/// (<see cref="SlurmNames.ServiceOutputFile"/>); the job's output file holds what the script says: which service
/// started, which ended and how, and why the app failed.</para>
/// <para>The app ends when every service has ended (its exit code is the first failing service's), when one fails
/// to start (the others are stopped), or when Slurm ends the job (TERM stops the pod). Whatever ends it, the script
/// removes the pod with its containers, the volumes, the hosts file and the session folder.</para>
/// <para>GPUs: Slurm allocates the services' sum; the script hands them out in start order, each to one service, as
/// the portal's ledger does on one box. Each service sees only its own, numbered from 0.</para>
/// </remarks>
internal static class AppBatchScript
{
    /// <summary>The first descriptor of the services' environment files: service i reads its file from this plus i.</summary>
    private const int FirstEnvDescriptor = 10;

    /// <summary>
    /// Waits until a service's container runs (or has run): podman's own answer, so a dependent starts only after it.
    /// A podman that ended without ever starting the container failed; the app fails with it.
    /// </summary>
    private const string StartedFunction = """
        started() {
          local alive state
          while true; do
            alive=0
            if kill -0 "$3" 2>/dev/null; then alive=1; fi
            state=$("$podman" container inspect --format '{{.State.Status}}' -- "$2" 2>/dev/null) || state=
            case $state in running | exited | stopped | stopping | paused) return 0 ;; esac
            if ((alive == 0)); then fail "service '$1' did not start: podman run failed (see the service's log)"; fi
            sleep 0.2
          done
        }
        """;

    /// <summary>
    /// Runs a service's health check until it passes, as app-up does on one box: failures within the start period do
    /// not count; after it, RETRIES failures in a row fail the app; a check that cannot run (the container has ended)
    /// fails it at once.
    /// </summary>
    private const string HealthyFunction = """
        healthy() {
          local failures=0 status counting_from=$((SECONDS + $4))
          while true; do
            status=0
            "$podman" healthcheck run -- "$2" >/dev/null 2>&1 || status=$?
            if ((status == 0)); then return 0; fi
            if ((status != 1)); then fail "service '$1': its health check could not run (exit code $status)"; fi
            if ((SECONDS >= counting_from)); then failures=$((failures + 1)); fi
            if ((failures >= $5)); then fail "service '$1' did not become healthy ($failures failed checks)"; fi
            sleep "$3"
          done
        }
        """;

    /// <summary>Waits for every service's podman in start order; the first failing exit code becomes the job's.</summary>
    private static readonly string WaitForServices = $$"""
        status=0
        for i in "${!pids[@]}"; do
          code=0
          wait "${pids[$i]}" || code=$?
          while kill -0 "${pids[$i]}" 2>/dev/null; do
            code=0
            wait "${pids[$i]}" || code=$?
          done
          echo "{{SlurmNames.ServiceLinePrefix}}${names[$i]}{{SlurmNames.ServiceEndedSuffix}}$code" >&2
          if ((code != 0 && status == 0)); then status=$code; fi
        done
        exit "$status"
        """;

    /// <param name="job">The portal's job.</param>
    /// <param name="app">The validated app section (each service's GPUs a count).</param>
    /// <param name="owner">The owner's name, for the labels.</param>
    /// <param name="policy">The policy, with its slurm section.</param>
    /// <param name="envFiles">Per service, in order: its 0600 environment file, or null.</param>
    /// <param name="mounts">Per service, in order: its bind mounts, checked as the user.</param>
    /// <param name="outputDirectory">The user's Slurm output folder, where the services' logs go.</param>
    public static string Generate(
        string job,
        AppSpec app,
        string owner,
        LauncherPolicy policy,
        IReadOnlyList<string?> envFiles,
        IReadOnlyList<IReadOnlyList<(string Source, string Target, bool ReadOnly)>> mounts,
        string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(envFiles);
        ArgumentNullException.ThrowIfNull(mounts);
        SlurmPolicy slurm = policy.Slurm ?? throw new InvalidOperationException("The policy has no slurm section.");
        var script = new StringBuilder();
        script.Append("#!/bin/bash\n").Append(BatchScript.Preamble).Append('\n');
        script.Append("# Portal app ").Append(job).Append(", written by portal-launcher: its pod, in this allocation.\n");
        for (int i = 0; i < envFiles.Count; i++)
        {
            if (envFiles[i] is { } envFile)
            {
                // Open, then delete, as for a job: each service's podman reads its own through the descriptor.
                script.Append("exec ").Append(FirstEnvDescriptor + i).Append('<').Append(ShellQuote.Word(envFile)).Append('\n');
                script.Append("rm -f -- ").Append(ShellQuote.Word(envFile)).Append('\n');
            }
        }

        script.Append(BatchScript.RuntimeDirectory).Append('\n');
        AppendGpus(script, slurm, policy.GpuControlNodes, app.Services.Sum(s => s.GpuCount ?? 0));
        // From the pod on, the EXIT trap removes whatever the script made, the session folder included.
        AppendPod(script, job, app, owner, slurm);
        if (app.Services.Any(s => s.Run.Session is not null))
        {
            // Only a folder the script made (in a parent that passed private_dir) is the cleanup's to remove.
            script.Append(BatchScript.SessionFolder).Append("\nsession_made=1\n");
        }

        script.Append(StartedFunction).Append('\n').Append(HealthyFunction).Append('\n');
        script.Append("pids=()\nnames=()\n");
        int firstGpu = 0;
        for (int i = 0; i < app.Services.Count; i++)
        {
            AppServiceSpec service = app.Services[i];
            AppendService(script, job, app, service, owner, policy, slurm, mounts[i], envFiles[i] is null ? null : FirstEnvDescriptor + i, firstGpu, outputDirectory);
            firstGpu += service.GpuCount ?? 0;
        }

        script.Append("echo \"portal: the app's ").Append(app.Services.Count).Append(" services started\" >&2\n");
        script.Append(WaitForServices).Append('\n');
        return script.ToString();
    }

    /// <summary>
    /// The pod and what it holds, and the traps: TERM (cancel, time limit) stops the pod; the script's end, however
    /// it comes, removes the pod with its containers, the app's volumes, the hosts file and the session folder.
    /// </summary>
    private static void AppendPod(StringBuilder script, string job, AppSpec app, string owner, SlurmPolicy slurm)
    {
        script.Append("podman=").Append(ShellQuote.Word(slurm.NodePodman)).Append('\n');
        script.Append("suffix=-slurm-$SLURM_JOB_ID\n");
        script.Append("pod=").Append(ShellQuote.Word(LauncherProtocol.PodName(job))).Append("$suffix\n");
        script.Append("hosts=$runtime_dir/$pod.hosts\n");
        string labels = ShellQuote.Words(["--label", $"{LauncherProtocol.AppLabel}={job}", "--label", $"{LauncherProtocol.OwnerLabel}={owner}"])
            + " --label \"portal.slurm-job=$SLURM_JOB_ID\"";
        IReadOnlyList<string> volumes = app.Volumes ?? [];
        script.Append("stopping=\n");
        script.Append("cleanup() {\n");
        script.Append("  \"$podman\" pod rm --force --time 0 -- \"$pod\" >/dev/null 2>&1 || true\n");
        if (volumes.Count > 0)
        {
            script.Append("  \"$podman\" volume rm --force --");
            foreach (string volume in volumes)
            {
                script.Append(' ').Append(VolumeWord(job, volume, ""));
            }

            script.Append(" >/dev/null 2>&1 || true\n");
        }

        script.Append("  rm -f -- \"$hosts\"\n");
        script.Append("  if [[ -n ${session_made-} ]]; then rm -rf -- \"$session_dir\"; fi\n}\n");
        script.Append("trap cleanup EXIT\n");
        script.Append("stop() {\n  if [[ -n $stopping ]]; then return 0; fi\n  stopping=1\n");
        script.Append("  \"$podman\" pod stop --time ").Append(BatchScript.StopSeconds).Append(" -- \"$pod\" >/dev/null 2>&1 || true\n}\n");
        script.Append("trap stop TERM INT\n");
        script.Append("fail() {\n  echo \"portal: $1\" >&2\n  stop\n  exit 1\n}\n");

        // The pod shares the network (none: 127.0.0.1 only), IPC and host name; never a cgroup, so a service may run
        // with --cgroups=disabled in Slurm's cgroup, and the pod's cgroup is never its services' parent.
        script.Append("\"$podman\" pod create --name \"$pod\" --network none --share net,ipc,uts");
        if (slurm.DisablesCgroups)
        {
            script.Append(" --share-parent=false");
        }

        script.Append(' ').Append(labels).Append(" >/dev/null || fail 'podman pod create failed'\n");
        string names = "127.0.0.1\tlocalhost " + string.Join(' ', app.Services.Select(s => s.Name)) + "\n::1\tlocalhost\n";
        // Readable by every uid of the containers (a service may run as a user other than its root).
        script.Append("printf '%s' ").Append(ShellQuote.Word(names)).Append(" > \"$hosts\"\nchmod 0644 -- \"$hosts\"\n");
        foreach (string volume in volumes)
        {
            script.Append("\"$podman\" volume create ").Append(labels).Append(" -- ").Append(VolumeWord(job, volume, ""))
                .Append(" >/dev/null || fail ").Append(ShellQuote.Word($"podman volume create failed for volume '{volume}'")).Append('\n');
        }
    }

    private static void AppendService(StringBuilder script, string job, AppSpec app, AppServiceSpec service, string owner, LauncherPolicy policy,
        SlurmPolicy slurm, IReadOnlyList<(string Source, string Target, bool ReadOnly)> mounts, int? envDescriptor, int firstGpu, string outputDirectory)
    {
        RunSpec run = service.Run;
        script.Append("# Service ").Append(service.Name).Append('\n');
        foreach (DependencySpec dependency in (service.DependsOn ?? []).Where(d => d.Condition == DependencyConditions.Healthy))
        {
            HealthcheckSpec health = app.Services.First(s => s.Name == dependency.Service).Healthcheck!;
            script.Append("healthy ").Append(ShellQuote.Word(dependency.Service)).Append(" \"$pod\"-").Append(ShellQuote.Word(dependency.Service))
                .Append(' ').Append(Number(health.IntervalSeconds)).Append(' ').Append(Number(health.StartPeriodSeconds))
                .Append(' ').Append(Number(health.Retries)).Append('\n');
        }

        script.Append("if [[ -n $stopping ]]; then exit 143; fi\n");
        script.Append("select_gpus ").Append(Number(firstGpu)).Append(' ').Append(Number(service.GpuCount ?? 0)).Append('\n');
        script.Append("\"$podman\" run --name \"$pod\"-").Append(ShellQuote.Word(service.Name)).Append(" --pod \"$pod\" --label \"portal.slurm-job=$SLURM_JOB_ID\" ");
        List<string> options = BatchScript.FixedOptions(job, run, owner, policy, slurm, mounts, service.Name);
        PodmanArgs.AddServiceOptions(options, service);
        script.Append(ShellQuote.Words(options));
        script.Append(" --mount \"type=bind,source=$hosts,target=").Append(AppRules.HostsFileTarget).Append(",ro=true\"");
        foreach (AppVolumeMountSpec volume in service.Volumes ?? [])
        {
            script.Append(" --mount ").Append(VolumeWord(job, volume.Volume, "type=volume,source="))
                .Append(ShellQuote.Word($",target={volume.Target}" + (volume.ReadOnly ? ",ro=true" : "")));
        }

        IReadOnlyList<string> command = BatchScript.AppendSession(script, run, slurm, run.Command ?? []);

        if (envDescriptor is { } fd)
        {
            script.Append(" --env-file /dev/fd/").Append(fd);
        }

        script.Append(" \"${gpus[@]}\" --env \"CUDA_VISIBLE_DEVICES=$visible\" --env \"NVIDIA_VISIBLE_DEVICES=${visible:-void}\" -- ");
        script.Append(ShellQuote.Words([run.Image, .. command]));
        script.Append(" >").Append(ShellQuote.Word(Path.Combine(outputDirectory, "portal-" + job + "-"))).Append("\"$SLURM_JOB_ID\"")
            .Append(ShellQuote.Word("." + service.Name + ".log")).Append(" 2>&1 &\n");
        script.Append("pids+=(\"$!\")\nnames+=(").Append(ShellQuote.Word(service.Name)).Append(")\n");
        script.Append("started ").Append(ShellQuote.Word(service.Name)).Append(" \"$pod\"-").Append(ShellQuote.Word(service.Name)).Append(" \"$!\"\n");
        script.Append("echo ").Append(ShellQuote.Word(SlurmNames.ServiceStartedLine(service.Name))).Append(" >&2\n");
    }

    /// <summary>The GPUs Slurm allocated (<see cref="BatchScript.AppendGpuSelection"/>), as many as the services take.</summary>
    private static void AppendGpus(StringBuilder script, SlurmPolicy slurm, IReadOnlyList<string> controlNodes, int total)
    {
        BatchScript.AppendGpuSelection(script, slurm, controlNodes);
        script.Append("if ((${#allocated[@]} != ").Append(Number(total)).Append(")); then\n");
        script.Append("  echo \"portal: Slurm allocated ${#allocated[@]} GPUs; the app's services take ").Append(Number(total)).Append("\" >&2\n  exit 1\nfi\n");
    }

    /// <summary>A volume's name on the node as one shell word: the app's volume, of this Slurm job.</summary>
    private static string VolumeWord(string job, string volume, string prefix) =>
        ShellQuote.Word(prefix + LauncherProtocol.AppVolumeName(job, volume)) + "\"$suffix\"";

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);
}

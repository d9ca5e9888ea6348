using System.Text;
using Portal.Launcher.Podman;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Slurm;

/// <summary>
/// Writes the batch script of a Slurm job: on the node Slurm picks, as the user, it runs the job's container with
/// rootless podman and the same hardening as a container on one box, and stays in the allocation. Pure: no I/O, so
/// every line is unit-tested; the script goes to sbatch on stdin and is never written to disk by the launcher.
/// </summary>
/// <remarks>
/// <para>The script is the launcher's, not the portal's: whoever can send requests could otherwise run any command
/// as any user of the policy group on every node. Only the request's image, command, mounts and working directory
/// reach it, each as one single-quoted word after the options (see <see cref="ShellQuote"/>); its first command comes
/// before any line a request could shape, so sbatch reads no <c>#SBATCH</c> directive from request text.</para>
/// <para>What keeps the container in Slurm's hands: with <c>cgroups: disabled</c> podman runs it with
/// <c>--cgroups=disabled</c> (crun), so its processes stay in the step's cgroup, where Slurm's memory limit and
/// <c>ConstrainDevices</c> apply (on cgroup v2 podman would otherwise move it to a cgroup of its own, outside the
/// job). GPUs are the ones Slurm allocated (<c>SLURM_JOB_GPUS</c>), numbered 0..n-1 inside the container, which is
/// how the container sees them once only those device nodes are passed.</para>
/// </remarks>
internal static class BatchScript
{
    /// <summary>Seconds podman gives the container between SIGTERM and SIGKILL when Slurm ends the job.</summary>
    public const int StopSeconds = 10;

    /// <summary>The environment the script starts from: Slurm's, with nothing that would change how bash or podman run.</summary>
    internal const string Preamble = """
        set -euo pipefail
        umask 077
        unset BASH_ENV ENV LD_PRELOAD LD_LIBRARY_PATH LD_AUDIT CONTAINERS_CONF CONTAINERS_STORAGE_CONF CONTAINERS_REGISTRIES_CONF CDPATH GLOBIGNORE
        export PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8
        """;

    /// <summary>podman needs a runtime directory; slurmd makes none. /run/user/UID when the node has one for the
    /// user (the same one the user's podman uses there otherwise), else a private one under /tmp.</summary>
    /// <remarks><c>private_dir</c> makes a folder in shared <c>/tmp</c> and stops the job unless it is the user's own
    /// (not a link someone else planted); the session folder's parent uses it too.</remarks>
    internal const string RuntimeDirectory = """
        private_dir() {
          mkdir -p -m 0700 -- "$1"
          if [[ ! -d $1 || -L $1 || ! -O $1 ]]; then
            echo "portal: $1 is not a directory of this user's" >&2
            exit 1
          fi
        }
        runtime_dir=/run/user/$(id -u)
        if [[ ! -d $runtime_dir || -L $runtime_dir || ! -O $runtime_dir ]]; then
          runtime_dir=/tmp/portal-run-$(id -u)
          private_dir "$runtime_dir"
        fi
        export XDG_RUNTIME_DIR=$runtime_dir
        """;

    /// <summary>A session's socket folder on the node (<see cref="SlurmNames.NodeSessionFolder(string, string)"/>): the
    /// user's alone, made fresh for the job (the script removes it when it ends). slurm-connect's relay step, the same
    /// user in the same job, finds the app's socket there.</summary>
    internal static readonly string SessionFolder = $$"""
        session_dir={{SlurmNames.NodeSessionFolder("$(id -u)", "$SLURM_JOB_ID")}}
        private_dir "${session_dir%/*}"
        rm -rf -- "$session_dir"
        mkdir -m 0700 -- "$session_dir"
        """;

    /// <summary>Waits for podman; a TERM from Slurm (cancel, time limit) stops the container, then the wait goes on
    /// for podman's own exit code, which becomes the job's.</summary>
    private const string WaitForPodman = """
        pid=$!
        if [[ -n $stopping ]]; then stop_container; fi
        status=0
        wait "$pid" || status=$?
        while kill -0 "$pid" 2>/dev/null; do
          status=0
          wait "$pid" || status=$?
        done
        exit "$status"
        """;

    public static string Generate(
        string job,
        RunSpec run,
        string owner,
        LauncherPolicy policy,
        string? envFile,
        IReadOnlyList<(string Source, string Target, bool ReadOnly)> mounts)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(policy);
        SlurmPolicy slurm = policy.Slurm ?? throw new InvalidOperationException("The policy has no slurm section.");
        var script = new StringBuilder();
        script.Append("#!/bin/bash\n");
        script.Append(Preamble).Append('\n');
        script.Append("# Portal job ").Append(job).Append(", written by portal-launcher: its container, in this allocation.\n");
        if (envFile is not null)
        {
            // Open, then delete: podman reads it through the descriptor, and no copy outlives the job's start.
            script.Append("exec 3<").Append(ShellQuote.Word(envFile)).Append('\n');
            script.Append("rm -f -- ").Append(ShellQuote.Word(envFile)).Append('\n');
        }

        script.Append(RuntimeDirectory).Append('\n');
        if (run.Session is not null)
        {
            script.Append(SessionFolder).Append("\ntrap 'rm -rf -- \"$session_dir\"' EXIT\n");
        }

        AppendGpus(script, slurm, policy.GpuControlNodes);
        script.Append("podman=").Append(ShellQuote.Word(slurm.NodePodman)).Append('\n');
        script.Append("container=").Append(ShellQuote.Word(JobKeys.ContainerName(job) + "-slurm-")).Append("$SLURM_JOB_ID\n");
        // A TERM can come while podman is still creating the container (a cancel right after the job starts): then
        // there is nothing to stop yet, and conmon, which Slurm does not track, would keep the container running after
        // Slurm kills this script. So the stop waits until the container exists (or podman gave up) before stopping it,
        // and a TERM before podman was even started is acted on as soon as it is.
        script.Append("stopping=\nstop_container() {\n");
        script.Append("  while kill -0 \"$pid\" 2>/dev/null && ! \"$podman\" container exists \"$container\" 2>/dev/null; do sleep 0.2; done\n");
        script.Append("  \"$podman\" stop --time ").Append(StopSeconds).Append(" -- \"$container\" >/dev/null 2>&1 || true\n}\n");
        script.Append("stop() {\n  if [[ -n $stopping ]]; then return 0; fi\n  stopping=1\n  if [[ -n ${pid-} ]]; then stop_container; fi\n}\n");
        script.Append("trap stop TERM INT\n");
        script.Append("\"$podman\" run --name \"$container\" --label \"portal.slurm-job=$SLURM_JOB_ID\" ");
        script.Append(ShellQuote.Words(FixedOptions(job, run, owner, policy, slurm, mounts)));
        IReadOnlyList<string> command = AppendSession(script, run, slurm, run.Command ?? []);

        if (envFile is not null)
        {
            script.Append(" --env-file /dev/fd/3");
        }

        // After --env-file: these win over the user's variables and the image's ENV (an image that says
        // NVIDIA_VISIBLE_DEVICES=all still sees only what Slurm allocated).
        script.Append(" --env CUDA_VISIBLE_DEVICES --env NVIDIA_VISIBLE_DEVICES \"${gpus[@]}\" -- ");
        script.Append(ShellQuote.Words([run.Image, .. command]));
        script.Append(" &\n");
        script.Append(WaitForPodman).Append('\n');
        return script.ToString();
    }

    /// <summary>For a session (or an app's web front): the node's session folder mounted where the app listens, and for
    /// an app that listens on TCP, the node's sockbridge as on one box. Returns the command the container runs.</summary>
    internal static IReadOnlyList<string> AppendSession(StringBuilder script, RunSpec run, SlurmPolicy slurm, IReadOnlyList<string> command)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(slurm);
        if (run.Session is not { } session)
        {
            return command;
        }

        script.Append(" --mount \"type=bind,source=$session_dir,target=").Append(SessionRules.FolderTarget).Append('"');
        if (session.BridgePort is { } port)
        {
            List<string> bridge = [];
            command = PodmanArgs.Bridged(bridge, slurm.NodeBridge!, port, command);
            script.Append(' ').Append(ShellQuote.Words(bridge));
        }

        return command;
    }

    /// <summary>The podman options that do not depend on the node: the hardening of a one-box container, minus the
    /// limits, which are Slurm's (its cgroup holds the container).</summary>
    /// <param name="job">The portal's job.</param>
    /// <param name="run">The job's run section, or one service's.</param>
    /// <param name="owner">The owner.</param>
    /// <param name="policy">The policy.</param>
    /// <param name="slurm">Its slurm section.</param>
    /// <param name="mounts">Bind mounts, checked as the user.</param>
    /// <param name="service">For a service of an app: its name (labelled as on one box; the pod owns the network).</param>
    public static List<string> FixedOptions(string job, RunSpec run, string owner, LauncherPolicy policy, SlurmPolicy slurm,
        IReadOnlyList<(string Source, string Target, bool ReadOnly)> mounts, string? service = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(slurm);
        ArgumentNullException.ThrowIfNull(mounts);
        var options = new List<string>
        {
            "--pull=never",
            "--label", service is null ? $"{LauncherProtocol.JobLabel}={job}" : $"{LauncherProtocol.AppLabel}={job}",
            "--label", $"{LauncherProtocol.OwnerLabel}={owner}",
            "--runtime", slurm.NodeRuntime,
            "--security-opt", "no-new-privileges",
            "--cap-drop", "all",
            // The container writes straight into the job's output file (podman's own stdout, Slurm's --output):
            // no second copy in the user's container storage, and the portal reads one file for the log.
            "--log-driver", "passthrough",
        };
        if (service is null)
        {
            // A job's container goes with its podman; an app's services stay until the script removes their pod.
            options.Insert(0, "--rm");
        }
        else
        {
            options.AddRange(["--label", $"{LauncherProtocol.ServiceLabel}={service}"]);
        }

        if (slurm.DisablesCgroups)
        {
            options.Add("--cgroups=disabled");
        }

        if (!policy.AllowNetwork && service is null)
        {
            options.AddRange(["--network", "none"]);
        }

        foreach ((string source, string target, bool readOnly) in mounts)
        {
            options.AddRange(["--mount", $"type=bind,source={source},target={target}" + (readOnly ? ",ro=true" : "")]);
        }

        if (run.Workdir is not null)
        {
            options.AddRange(["--workdir", run.Workdir]);
        }

        return options;
    }

    /// <summary>The GPUs Slurm allocated, as podman devices, and the visible-device variables the container gets.</summary>
    private static void AppendGpus(StringBuilder script, SlurmPolicy slurm, IReadOnlyList<string> controlNodes)
    {
        AppendGpuSelection(script, slurm, controlNodes);
        script.Append("select_gpus 0 \"${#allocated[@]}\"\n");
        script.Append("export CUDA_VISIBLE_DEVICES=$visible NVIDIA_VISIBLE_DEVICES=${visible:-void}\n");
    }

    /// <summary>
    /// Reads the GPUs Slurm allocated into <c>allocated</c> (<c>read -a</c> splits <c>SLURM_JOB_GPUS</c> on the commas
    /// without globbing) and stops the job unless each is a plain index; and defines <c>select_gpus FIRST COUNT</c>,
    /// which sets <c>gpus</c> (podman's options for the COUNT GPUs from place FIRST: CDI names or device nodes, as the
    /// policy says) and <c>visible</c> (their numbers inside the container, from 0). A job takes them all; each service
    /// of an app its share.
    /// </summary>
    internal static void AppendGpuSelection(StringBuilder script, SlurmPolicy slurm, IReadOnlyList<string> controlNodes)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(slurm);
        ArgumentNullException.ThrowIfNull(controlNodes);
        script.Append("IFS=, read -r -a allocated <<< \"${SLURM_JOB_GPUS:-}\"\n");
        script.Append("for i in \"${allocated[@]}\"; do\n");
        script.Append("  if [[ ! $i =~ ^[0-9]+$ ]]; then echo \"portal: unexpected SLURM_JOB_GPUS '${SLURM_JOB_GPUS:-}'\" >&2; exit 1; fi\ndone\n");
        script.Append("select_gpus() {\n  gpus=()\n  visible=\n  local k i\n  for ((k = 0; k < $2; k++)); do\n    i=${allocated[$1 + k]}\n");
        switch (slurm.GpuDevices)
        {
            case "cdi":
                script.Append("    gpus+=(--device \"nvidia.com/gpu=$i\")\n");
                break;
            case "nodes":
                script.Append("    gpus+=(--device \"/dev/nvidia$i\")\n");
                break;
        }

        script.Append("    visible+=${visible:+,}$k\n  done\n");
        if (slurm.GpuDevices == "nodes" && controlNodes.Count > 0)
        {
            script.Append("  if (($2 > 0)); then gpus+=(").Append(ShellQuote.Words(controlNodes.SelectMany(node => new[] { "--device", node }))).Append("); fi\n");
        }

        script.Append("}\n");
    }
}

using System.Globalization;
using Portal.Web.Tests.Jobs;

namespace Portal.Slurm.Tests.Infrastructure;

/// <summary>
/// A one-node Slurm cluster on this machine, from Debian's packages (deploy/dev/prerequisites.sh installs them
/// without starting their daemons): munged, slurmctld and slurmd started by hand (no systemd), everything under
/// <see cref="Root"/>, ports of its own, and two fake GPUs (<c>File=/dev/tty[0-1]</c>, as Slurm's own test suite
/// does). Stopping it cancels its jobs, ends the daemons and removes <see cref="Root"/>.
/// </summary>
/// <remarks>
/// This host mixes cgroup v1 and v2 controllers, which Slurm's cgroup plugins refuse, so the cluster tracks processes
/// with proctrack/linuxproc and task/none: device constraint (ConstrainDevices) cannot be tested here.
/// </remarks>
public sealed class LocalSlurmCluster
{
    public const string Root = "/run/portal-slurm-test";
    public const string NodeName = "ptest-node";
    public const string Partition = "ptest";
    public const int Gpus = 2;
    public const int CtldPort = 26817;
    public const int SlurmdPort = 26818;

    public static string ConfigFile => Root + "/etc/slurm.conf";

    private static string MungeSocket => Root + "/munge/munge.socket";

    private static string MungedPidFile => Root + "/munge/munged.pid";

    private static string CtldPidFile => Root + "/state/slurmctld.pid";

    private static string SlurmdPidFile => Root + "/spool/slurmd.pid";

    /// <summary>The environment every Slurm command of the tests runs with.</summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["SLURM_CONF"] = ConfigFile, ["TZ"] = "UTC", ["PATH"] = "/usr/bin:/bin", ["LANG"] = "C.UTF-8",
    };

    public static async Task StartAsync()
    {
        foreach (var tool in new[] { "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch" })
        {
            if (!File.Exists(tool))
            {
                throw new InvalidOperationException($"{tool} is missing: the Slurm tests need Debian's slurm-wlm and munge (tests/run.sh installs them).");
            }
        }

        // A cluster left by a test run that was killed: end it first.
        await StopAsync();
        await PrepareDirectoriesAsync();
        await WriteConfigurationAsync();
        await Sh.CheckedAsync("/usr/sbin/runuser", "-u", "munge", "--", "/usr/sbin/munged", "--socket=" + MungeSocket,
            "--key-file=" + Root + "/munge/key/munge.key", "--pid-file=" + MungedPidFile,
            "--log-file=" + Root + "/munge/key/munged.log", "--seed-file=" + Root + "/munge/key/munged.seed");
        await Sh.CheckedAsync("/usr/sbin/slurmctld", "-i", "-f", ConfigFile);
        await StartSlurmdAsync();
    }

    /// <summary>Starts slurmd (again) and waits until the node takes jobs.</summary>
    public static async Task StartSlurmdAsync()
    {
        await Sh.CheckedAsync("/usr/sbin/slurmd", "-f", ConfigFile, "-N", NodeName);
        await WaitForAsync(async () => (await NodeStateAsync()) is "idle" or "mixed" or "allocated", TimeSpan.FromSeconds(90), "the node to come up");
    }

    /// <summary>Kills slurmd as a crash would (SIGKILL); its jobs' step daemons live on until slurmctld gives up on the node.</summary>
    public static async Task KillSlurmdAsync() => await StopDaemonAsync(SlurmdPidFile, signal: "KILL");

    /// <summary>sinfo's state word for the node: idle, allocated, down*, ...</summary>
    public static async Task<string> NodeStateAsync()
    {
        var r = await RunAsync("/usr/bin/sinfo", "--noheader", "--Node", "--format=%T");
        return r.ExitCode == 0 ? r.Stdout.Trim() : "";
    }

    /// <summary>Runs a Slurm tool as root against this cluster.</summary>
    public static Task<ShResult> RunAsync(string tool, params string[] args) =>
        Sh.RunAsync("/usr/bin/env", ["-i", .. Environment.Select(kv => $"{kv.Key}={kv.Value}"), tool, .. args]);

    /// <summary>Cancels every job, ends the daemons (SIGTERM, then SIGKILL) and removes everything under <see cref="Root"/>.</summary>
    public static async Task StopAsync()
    {
        if (File.Exists(CtldPidFile) && File.Exists(ConfigFile))
        {
            var jobs = await RunAsync("/usr/bin/squeue", "--noheader", "--format=%A");
            var ids = jobs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (jobs.ExitCode == 0 && ids.Length > 0)
            {
                await RunAsync("/usr/bin/scancel", ids);
                // Each job's step daemon ends its processes; slurmd must live until they are gone.
                await WaitForAsync(async () => !(await StepDaemonsAsync()).Any(), TimeSpan.FromSeconds(60), "the jobs' step daemons to end", throwOnTimeout: false);
            }
        }

        await StopDaemonAsync(SlurmdPidFile);
        await StopDaemonAsync(CtldPidFile);
        await StopDaemonAsync(MungedPidFile);
        foreach (var pid in await StepDaemonsAsync())
        {
            await Sh.RunAsync("/bin/kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]);
        }

        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    /// <summary>The slurmstepd processes of this cluster's jobs (their spool is under <see cref="Root"/>).</summary>
    private static async Task<IReadOnlyList<int>> StepDaemonsAsync()
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var cmdline = await File.ReadAllTextAsync(Path.Combine(dir, "cmdline"));
                var cwd = new DirectoryInfo(Path.Combine(dir, "cwd")).ResolveLinkTarget(returnFinalTarget: false)?.FullName ?? "";
                if (cmdline.StartsWith("slurmstepd", StringComparison.Ordinal) && cwd.StartsWith(Root, StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }

        return pids;
    }

    private static async Task StopDaemonAsync(string pidFile, string signal = "TERM")
    {
        if (!File.Exists(pidFile) || !int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return;
        }

        var exe = new FileInfo($"/proc/{pid}/exe");
        if (!exe.Exists || exe.ResolveLinkTarget(returnFinalTarget: true)?.FullName is not { } target
            || !(target.Contains("slurm", StringComparison.Ordinal) || target.Contains("munge", StringComparison.Ordinal)))
        {
            // A stale pid file naming someone else's process now.
            File.Delete(pidFile);
            return;
        }

        await Sh.RunAsync("/bin/kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]);
        var gone = await WaitForAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), TimeSpan.FromSeconds(20), "the daemon to exit", throwOnTimeout: false);
        if (!gone)
        {
            await Sh.RunAsync("/bin/kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]);
            await WaitForAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), TimeSpan.FromSeconds(10), "the daemon to die");
        }

        File.Delete(pidFile);
    }

    private static async Task PrepareDirectoriesAsync()
    {
        const UnixFileMode Rwxrxrx = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        foreach (var (dir, owner, mode) in new[]
        {
            (Root, "root", Rwxrxrx), (Root + "/etc", "root", Rwxrxrx), (Root + "/spool", "root", Rwxrxrx),
            // munged wants its socket folder open to all and its key folder to itself.
            (Root + "/munge", "munge", Rwxrxrx), (Root + "/munge/key", "munge", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute),
            (Root + "/state", "slurm", Rwxrxrx), (Root + "/log", "slurm", Rwxrxrx),
        })
        {
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, mode);
            await Sh.CheckedAsync("/usr/bin/chown", $"{owner}:{owner}", dir);
        }

        await Sh.CheckedAsync("/usr/sbin/runuser", "-u", "munge", "--", "/usr/sbin/mungekey", "--create", "--keyfile=" + Root + "/munge/key/munge.key");
    }

    private static async Task WriteConfigurationAsync()
    {
        var host = System.Environment.MachineName;
        await File.WriteAllTextAsync(ConfigFile, $"""
            ClusterName=portaltest
            SlurmctldHost={host}(127.0.0.1)
            SlurmctldPort={CtldPort}
            SlurmdPort={SlurmdPort}
            AuthType=auth/munge
            AuthInfo=socket={MungeSocket}
            CredType=cred/munge
            SlurmUser=slurm
            StateSaveLocation={Root}/state
            SlurmdSpoolDir={Root}/spool
            SlurmctldPidFile={CtldPidFile}
            SlurmdPidFile={SlurmdPidFile}
            SlurmctldLogFile={Root}/log/slurmctld.log
            SlurmdLogFile={Root}/log/slurmd.log
            # This host mixes cgroup v1 and v2, which Slurm's cgroup plugins refuse.
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core_Memory
            GresTypes=gpu
            ReturnToService=2
            MinJobAge=300
            # A killed slurmd shows as a down node within seconds, not the default five minutes.
            SlurmdTimeout=10
            # Slurm's default: longer than the batch script's podman stop (10 s), so a container that ignores SIGTERM
            # is killed by podman, not left behind when Slurm kills the script (linuxproc does not track conmon).
            KillWait=30
            MaxJobCount=50000
            InactiveLimit=0
            DefMemPerCPU=100
            MpiDefault=none
            JobAcctGatherType=jobacct_gather/none
            AccountingStorageType=accounting_storage/none
            # More CPUs and memory than the machine has, so that GPUs are what runs out first.
            SlurmdParameters=config_overrides
            NodeName={NodeName} NodeHostname={host} NodeAddr=127.0.0.1 CPUs=8 RealMemory=8000 Gres=gpu:{Gpus} State=UNKNOWN
            PartitionName={Partition} Nodes={NodeName} Default=YES MaxTime=INFINITE State=UP

            """);
        await File.WriteAllTextAsync(Root + "/etc/gres.conf", $"AutoDetect=off\nNodeName={NodeName} Name=gpu File=/dev/tty[0-1]\n");
        foreach (var file in new[] { ConfigFile, Root + "/etc/gres.conf" })
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }

    public static async Task<bool> WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, bool throwOnTimeout = true)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        return throwOnTimeout ? throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}.") : false;
    }
}

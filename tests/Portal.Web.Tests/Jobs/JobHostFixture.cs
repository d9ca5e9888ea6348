using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Portal.Tests.Cleanup;

namespace Portal.Web.Tests.Jobs;

/// <summary>A throwaway Linux account the job tests run containers as.</summary>
public sealed record JobTestUser(string Name, uint Uid, uint Gid, string Home);

/// <summary>
/// Sets up, idempotently and as root, what the job runner tests need on a fresh machine, on the pattern of the
/// launcher tests' fixture but apart from it (its own users, policy, GPU nodes and launcher build), so the two suites
/// can run at the same time without removing each other's containers:
/// a policy group and two users with subuid/subgid ranges, a busybox image in each user's storage, two fake GPU
/// nodes, a podman stand-in that can hold a launch, the root-owned policy naming the GPUs by UUID (as the production
/// policy must: the portal passes the ledger's GPU UUIDs as the launcher's GPU ids), and the published launcher.
/// At the end (and when the set-up fails) it removes all of it again: the users with their processes, homes and
/// subordinate ids, the group, the policy, the GPU nodes and the folders (a launcher it published itself too).
/// </summary>
public sealed class JobHostFixture : IAsyncLifetime
{
    public const string PolicyPath = "/etc/portal-web-test/launcher.json";
    public const string Root = "/var/lib/portal-web-test";
    public const string HoldDir = Root + "/hold";
    public const string ShimPath = Root + "/bin/podman";
    public const string GpuDir = "/dev/pweb-gpu";
    public const string Group = "pweb-portal";
    public const string Image = "localhost/pweb-busybox:latest";

    /// <summary>The PAM service of the test policy's password check; written at start, removed at the end.</summary>
    public const string PamService = "portal-web-test";
    public const string PamServiceFile = "/etc/pam.d/" + PamService;
    /// <summary>Sessions: the proxy group (the portal's alone in production), the folders' root, sockbridge.</summary>
    public const string ProxyGroup = "pweb-proxy";
    public const string SessionsDir = "/run/pweb-sessions";
    public const string BridgePath = Root + "/bin/sockbridge";

    /// <summary>The fake GPUs, by UUID, in index order; the policy uses each UUID as the GPU's id.</summary>
    public static readonly IReadOnlyList<string> GpuUuids =
        ["GPU-7e57a000-0000-4000-8000-000000000000", "GPU-7e57a001-0000-4000-8000-000000000001"];

    private static readonly string[] LauncherSources = ["src/Portal.Launcher", "src/Portal.Launcher.Protocol"];

    public JobTestUser Alice { get; private set; } = null!;

    public JobTestUser Bob { get; private set; } = null!;

    public string LauncherPath { get; private set; } = null!;

    /// <summary>The registry the policy allows pulls from (<see cref="TestRegistry.Host"/>), with the busybox image.</summary>
    public TestRegistry Registry { get; private set; } = null!;

    // Held while a test assembly uses the host: the web tests and the browser tests share these users, GPU nodes and
    // policy, and run as separate processes at the same time.
    private FileStream? _inUse;

    public async Task InitializeAsync()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("The job runner tests create Linux users and run real containers: run them as root (CI does).");
        }

        _inUse = await HoldHostAsync();
        try
        {
            await SetUpAsync();
        }
        catch
        {
            await ReleaseHostAsync();
            throw;
        }
    }

    public Task DisposeAsync() => ReleaseHostAsync();

    private async Task SetUpAsync()
    {
        await Sh.CheckedAsync("/usr/sbin/groupadd", "-f", Group);
        await Sh.CheckedAsync("/usr/sbin/groupadd", "-f", ProxyGroup);
        foreach (var file in new[] { "/etc/subuid", "/etc/subgid" })
        {
            if (!File.Exists(file))
            {
                await File.WriteAllTextAsync(file, "");
            }
        }

        Alice = await EnsureUserAsync("pweb-alice", slot: 0);
        Bob = await EnsureUserAsync("pweb-bob", slot: 1);
        PrepareDirectories();
        await PrepareGpuNodesAsync();
        WritePolicy();
        var tar = await BuildBusyboxTarAsync();
        foreach (var user in new[] { Alice, Bob })
        {
            await EnsureImageAsync(user, tar);
            await RemoveAllContainersAsync(user);
        }

        Registry = await TestRegistry.StartAsync(tar);

        LauncherPath = await LocateLauncherAsync();
        await Sh.CheckedAsync(Path.Combine(RepositoryRoot(), "src/Portal.SocketBridge/build.sh"), BridgePath);
    }

    /// <summary>The checkout the tests run from (where Portal.sln is).</summary>
    public static string RepositoryRoot()
    {
        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "Portal.sln")))
        {
            repo = Path.GetDirectoryName(repo) ?? throw new InvalidOperationException("Portal.sln not found above the test binaries.");
        }

        return repo;
    }

    /// <summary>Removes everything <see cref="SetUpAsync"/> made (ending the users' processes ends their containers),
    /// then lets the other test process have the host: it finds a bare machine and sets the host up again. Every step
    /// runs even when an earlier one fails (a full run once left both accounts behind because the registry's removal
    /// threw first); the failures are reported together at the end.</summary>
    private async Task ReleaseHostAsync()
    {
        var failures = new List<Exception>();
        async Task StepAsync(Func<Task> step)
        {
            try
            {
                await step();
            }
            catch (Exception e)
            {
                failures.Add(e);
            }
        }

        try
        {
            // The policy first: without it the launcher acts for nobody, so nothing still running (a portal's background
            // call, a followed log) can start a process as the users while their accounts are being removed.
            await StepAsync(() =>
            {
                File.Delete(PolicyPath);
                return Task.CompletedTask;
            });
            if (Registry is not null)
            {
                await StepAsync(async () => await Registry.DisposeAsync());
            }

            await StepAsync(() => ThrowawayAccounts.RemoveAsync("pweb-alice", "pweb-bob", Group, ProxyGroup));
            foreach (var dir in new[] { Path.GetDirectoryName(PolicyPath)!, "/var/log/portal-web-test", "/run/portal-web-test", GpuDir, Root })
            {
                await StepAsync(() =>
                {
                    if (Directory.Exists(dir))
                    {
                        Directory.Delete(dir, recursive: true);
                    }

                    return Task.CompletedTask;
                });
            }

            // The users' podman pause processes live in the launcher's cgroups; they end with the tree.
            await StepAsync(CgroupTree.RemoveAsync);
            await StepAsync(() =>
            {
                File.Delete(PamServiceFile);
                if (Directory.Exists(SessionsDir))
                {
                    Directory.Delete(SessionsDir, recursive: true);
                }

                return Task.CompletedTask;
            });
        }
        finally
        {
            _inUse?.Dispose();
        }

        if (failures.Count > 0)
        {
            throw new AggregateException("Removing the job host's accounts, files and cgroups failed in part: " + string.Join(" | ", failures.Select(f => f.Message)), failures);
        }
    }

    /// <summary>Sets a test user's Linux password (chpasswd), for the sign-in tests; <see cref="LockPasswordAsync"/> undoes it.</summary>
    public static async Task SetPasswordAsync(JobTestUser user, string password)
    {
        var r = await Sh.RunAsync("/bin/sh", ["-c", "printf '%s\\n' \"$1\" | /usr/sbin/chpasswd", "sh", $"{user.Name}:{password}"]);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    /// <summary>Back to no password, as useradd left the account.</summary>
    public static async Task LockPasswordAsync(JobTestUser user) => await Sh.CheckedAsync("/usr/sbin/usermod", "-p", "!", user.Name);

    /// <summary>An exclusive lock (flock, released when the process ends) on a file beside the host's state; waits
    /// for another test process to finish with the host.</summary>
    private static async Task<FileStream> HoldHostAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(30);
        while (true)
        {
            try
            {
                // Made again each time: the process that had the host removes the folder, lock file and all.
                Directory.CreateDirectory(Root);
                return new FileStream(Path.Combine(Root, ".in-use"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    public static Task<ShResult> PodmanAsync(JobTestUser user, params string[] args) =>
        Sh.RunAsync("/usr/bin/setpriv", ["--reuid", N(user.Uid), "--regid", N(user.Gid), "--init-groups", "--",
            "/usr/bin/env", "-i", "HOME=" + user.Home, "USER=" + user.Name, "LOGNAME=" + user.Name, "PATH=/usr/bin:/bin",
            "XDG_RUNTIME_DIR=/run/user/" + N(user.Uid), "LANG=C.UTF-8", "/usr/bin/podman", .. args]);

    public static async Task RemoveAllContainersAsync(JobTestUser user)
    {
        // Apps first: a pod's infra container goes only with its pod; then the apps' volumes.
        await PodmanAsync(user, "pod", "rm", "--all", "--force", "--time", "0");
        await PodmanAsync(user, "rm", "--all", "--force", "--time", "0");
        await PodmanAsync(user, "volume", "prune", "--force");
    }

    /// <summary>The names of the user's containers labelled with <paramref name="jobId"/>.</summary>
    public static async Task<IReadOnlyList<string>> ContainersOfJobAsync(JobTestUser user, long jobId)
    {
        var r = await PodmanAsync(user, "ps", "--all", "--filter", "label=portal.job=" + jobId.ToString(CultureInfo.InvariantCulture), "--format", "{{.Names}}");
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>From now on the stand-in holds every <c>podman run</c> of this job until <see cref="ReleaseHold"/>.</summary>
    public static void HoldLaunches(long jobId)
    {
        foreach (var stale in Directory.EnumerateFiles(HoldDir, $"held-portal-job-{jobId.ToString(CultureInfo.InvariantCulture)}-*"))
        {
            File.Delete(stale);
        }

        File.WriteAllText(HoldFile(jobId), "");
    }

    public static void ReleaseHold(long jobId) => File.Delete(HoldFile(jobId));

    /// <summary>How many <c>podman run</c>s of this job have reached the stand-in while it was held.</summary>
    public static int HeldLaunches(long jobId) =>
        Directory.EnumerateFiles(HoldDir, $"held-portal-job-{jobId.ToString(CultureInfo.InvariantCulture)}-*").Count();

    /// <summary>From now on the stand-in holds every <c>podman stop</c> of this job until <see cref="ReleaseStopHold"/>.</summary>
    public static void HoldStops(long jobId) => File.WriteAllText(Path.Combine(HoldDir, "hold-stop-portal-job-" + N(jobId)), "");

    public static void ReleaseStopHold(long jobId) => File.Delete(Path.Combine(HoldDir, "hold-stop-portal-job-" + N(jobId)));

    /// <summary>How many <c>podman stop</c>s of this job have reached the stand-in while it was held.</summary>
    public static int HeldStops(long jobId) => Directory.EnumerateFiles(HoldDir, $"held-stop-portal-job-{N(jobId)}-*").Count();

    private static string N(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static string HoldFile(long jobId) => Path.Combine(HoldDir, "hold-portal-job-" + jobId.ToString(CultureInfo.InvariantCulture));

    private static string N(uint id) => id.ToString(CultureInfo.InvariantCulture);

    private static async Task<JobTestUser> EnsureUserAsync(string name, int slot)
    {
        if ((await Sh.RunAsync("/usr/bin/id", ["-u", name])).ExitCode != 0)
        {
            await Sh.CheckedAsync("/usr/sbin/useradd", "--create-home", "--shell", "/bin/bash", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name);
        }

        await Sh.CheckedAsync("/usr/sbin/usermod", "-aG", Group, name);
        if (!File.ReadAllLines("/etc/subuid").Any(l => l.StartsWith(name + ":", StringComparison.Ordinal))
            || !File.ReadAllLines("/etc/subgid").Any(l => l.StartsWith(name + ":", StringComparison.Ordinal)))
        {
            // A fixed block of its own, away from the launcher tests' (1000000000+).
            var start = 1_200_000_000L + (slot * 65536L);
            var range = $"{start}-{start + 65535}";
            await Sh.CheckedAsync("/usr/sbin/usermod", "--add-subuids", range, "--add-subgids", range, name);
        }

        var uid = uint.Parse((await Sh.CheckedAsync("/usr/bin/id", "-u", name)).Trim(), CultureInfo.InvariantCulture);
        var gid = uint.Parse((await Sh.CheckedAsync("/usr/bin/id", "-g", name)).Trim(), CultureInfo.InvariantCulture);
        var home = (await Sh.CheckedAsync("/usr/bin/getent", "passwd", name)).Trim().Split(':')[5];
        var runtimeDir = "/run/user/" + N(uid);
        Directory.CreateDirectory(runtimeDir);
        await Sh.CheckedAsync("/usr/bin/chown", $"{uid}:{gid}", runtimeDir);
        File.SetUnixFileMode(runtimeDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new JobTestUser(name, uid, gid, home);
    }

    private const UnixFileMode Rwxrxrx = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private static void PrepareDirectories()
    {
        foreach (var dir in new[] { Root, Root + "/bin", "/var/log/portal-web-test", Path.GetDirectoryName(PolicyPath)! })
        {
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, Rwxrxrx);
        }

        // Sticky and writable by all: the stand-in runs as the job's owner and leaves a marker per held launch.
        Directory.CreateDirectory(HoldDir);
        File.SetUnixFileMode(HoldDir, Rwxrxrx | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.StickyBit);
        foreach (var stale in Directory.EnumerateFiles(HoldDir))
        {
            File.Delete(stale);
        }

        // The podman stand-in: a "podman run" (or "podman stop") of a job with a hold file waits until the test removes
        // it, so a test can kill the portal while the launcher is mid-way through a launch, or look at a job while the
        // portal's stop of it is under way.
        File.WriteAllText(ShimPath, $$"""
            #!/bin/bash
            # The subcommand is the first word that is not a global option or its value (the launcher puts
            # --default-mounts-file and sometimes --storage-driver before it).
            sub=""; prev=""; name=""
            for a in "$@"; do
              if [ -z "$sub" ]; then
                case "$prev" in --default-mounts-file|--storage-driver) ;; *) case "$a" in -*) ;; *) sub="$a" ;; esac ;; esac
              elif [ "$sub" = run ] && [ "$prev" = "--name" ]; then name="$a"
              elif [ "$sub" = stop ] && [ "$prev" = "--" ]; then name="$a"
              fi
              prev="$a"
            done
            hold=""
            if [ -n "$name" ]; then
              [ "$sub" = run ] && hold="{{HoldDir}}/hold-$name"
              [ "$sub" = stop ] && hold="{{HoldDir}}/hold-stop-$name"
            fi
            if [ -n "$hold" ] && [ -e "$hold" ]; then
              : > "{{HoldDir}}/held-${hold#{{HoldDir}}/hold-}-$$"
              while [ -e "$hold" ]; do sleep 0.05; done
            fi
            exec /usr/bin/podman "$@"

            """);
        File.SetUnixFileMode(ShimPath, Rwxrxrx);
    }

    private static async Task PrepareGpuNodesAsync()
    {
        Directory.CreateDirectory(GpuDir);
        // Character devices of major 120, which Linux keeps for local use and never hands to a driver: no process holds
        // one, as the launcher's release must find when it kills whatever of the owner still holds a revoked GPU node
        // (it matches by device numbers). Nodes with /dev/null's numbers made every process of the owner holding
        // /dev/null (a followed `podman logs`, the owner's other podman calls) such a holder. Nothing opens these
        // nodes here; podman only passes them into the job.
        foreach (var (name, minor, shared) in new[] { ("nvidia0", "0", false), ("nvidia1", "1", false), ("nvidiactl", "255", true), ("nvidia-uvm", "254", true) })
        {
            var node = Path.Combine(GpuDir, name);
            File.Delete(node);
            await Sh.CheckedAsync("/usr/bin/mknod", node, "c", "120", minor);
            await Sh.CheckedAsync("/usr/bin/chown", "root:root", node);
            await Sh.CheckedAsync("/usr/bin/chmod", shared ? "0666" : "0660", node);
        }
    }

    private static void WritePolicy()
    {
        var policy = new Dictionary<string, object>
        {
            ["version"] = 1,
            ["minUid"] = 1000,
            ["group"] = Group,
            ["podman"] = ShimPath,
            // crun refuses cgroup v1 hybrid hosts (Debian 12's default); runc works on both.
            ["runtime"] = File.Exists("/sys/fs/cgroup/cgroup.controllers") && File.Exists("/usr/bin/crun") ? "crun" : "runc",
            ["allowNetwork"] = false,
            ["mountRoots"] = new object[] { new Dictionary<string, object> { ["userHome"] = true } },
            ["gpus"] = GpuUuids.Select((uuid, i) => new Dictionary<string, object>
            {
                ["id"] = uuid,
                ["node"] = $"{GpuDir}/nvidia{i}",
                ["visibleId"] = uuid,
            }).ToArray(),
            ["gpuControlNodes"] = new[] { GpuDir + "/nvidiactl", GpuDir + "/nvidia-uvm" },
            ["pidsLimit"] = 256,
            ["logMaxBytes"] = 1048576,
            ["manageDeviceAcls"] = true,
            ["auditLog"] = "/var/log/portal-web-test/audit.log",
            ["stateDir"] = "/run/portal-web-test",
            ["pamService"] = PamService,
            ["sessions"] = new Dictionary<string, object> { ["dir"] = SessionsDir, ["group"] = ProxyGroup, ["bridge"] = BridgePath },
            ["cgroupParent"] = CgroupTree.Parent,
            ["registries"] = new[] { new Dictionary<string, object> { ["host"] = TestRegistry.Host, ["insecure"] = true } },
            // The launcher may end foreign GPU processes; the portal does only where a test turns its option on.
            ["killGpuProcesses"] = true,
            ["gpuProcessKillGraceSeconds"] = 1,
        };
        File.WriteAllText(PolicyPath, JsonSerializer.Serialize(policy));
        // The real pam_unix, as Debian's common-auth and common-account use it (minus nullok), in a service of its own.
        File.WriteAllText(PamServiceFile, "auth required pam_unix.so\naccount required pam_unix.so\n");
        File.SetUnixFileMode(PolicyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    private static async Task<string> BuildBusyboxTarAsync()
    {
        var tar = Root + "/busybox-rootfs.tar";
        if (File.Exists(tar))
        {
            return tar;
        }

        var rootfs = Root + "/busybox-rootfs";
        if (Directory.Exists(rootfs))
        {
            Directory.Delete(rootfs, recursive: true);
        }

        foreach (var d in new[] { "bin", "dev", "proc", "sys", "tmp", "etc", "root" })
        {
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        }

        File.Copy("/bin/busybox", rootfs + "/bin/busybox");
        File.SetUnixFileMode(rootfs + "/bin/busybox", Rwxrxrx);
        foreach (var applet in (await Sh.CheckedAsync("/bin/busybox", "--list")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var link = Path.Combine(rootfs, "bin", applet);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }

        await File.WriteAllTextAsync(rootfs + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        await File.WriteAllTextAsync(rootfs + "/etc/group", "root:x:0:\n");
        await Sh.CheckedAsync("/usr/bin/tar", "-C", rootfs, "-cf", tar + ".tmp", ".");
        File.Move(tar + ".tmp", tar);
        return tar;
    }

    private static async Task EnsureImageAsync(JobTestUser user, string tar)
    {
        if ((await PodmanAsync(user, "image", "exists", Image)).ExitCode == 0)
        {
            return;
        }

        var r = await PodmanAsync(user, "import", "--change", "ENV PATH=/bin", tar, Image);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"podman import as {user.Name} failed: {r}");
        }
    }

    /// <summary>
    /// PORTAL_TEST_WEB_LAUNCHER (tests/run.sh publishes it once for the run), or else a launcher published for this
    /// policy path into the host's folder, by source version, and removed with the host.
    /// </summary>
    private static async Task<string> LocateLauncherAsync()
    {
        var given = Environment.GetEnvironmentVariable("PORTAL_TEST_WEB_LAUNCHER");
        if (!string.IsNullOrEmpty(given))
        {
            return given;
        }

        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "Portal.sln")))
        {
            repo = Path.GetDirectoryName(repo) ?? throw new InvalidOperationException("Portal.sln not found above the test binaries.");
        }

        var sources = LauncherSources
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(repo, d), "*.*", SearchOption.AllDirectories))
            .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal))
                && !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        var hash = new StringBuilder();
        foreach (var file in sources)
        {
            hash.Append(file).Append(Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(file))));
        }

        var version = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(hash.ToString())))[..16];
        var output = Path.Combine(Root, "launcher-" + version);
        var path = Path.Combine(output, "portal-launcher");
        if (File.Exists(path))
        {
            return path;
        }

        var r = await Sh.RunAsync("dotnet", ["publish", Path.Combine(repo, "src/Portal.Launcher"), "-c", "Release",
            "-p:LauncherPolicyPath=" + PolicyPath, "-o", output + ".tmp", "--nologo"], timeout: TimeSpan.FromMinutes(15));
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException("Publishing the launcher failed: " + r);
        }

        Directory.Move(output + ".tmp", output);
        File.SetUnixFileMode(output, Rwxrxrx);
        return path;
    }
}

[CollectionDefinition(Name)]
public sealed class JobHostGroup : ICollectionFixture<JobHostFixture>
{
    /// <summary>One collection: the tests share users, GPU nodes and the policy, so they run one at a time.</summary>
    public const string Name = "job runner";
}

public sealed record ShResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs a program with an argv (never a shell) and a deadline.</summary>
public static class Sh
{
    public static async Task<ShResult> RunAsync(string file, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish in time.");
        }

        return new ShResult(process.ExitCode, await stdout, await stderr);
    }

    public static async Task<string> CheckedAsync(string file, params string[] args)
    {
        var r = await RunAsync(file, args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {r}");
        }

        return r.Stdout;
    }
}

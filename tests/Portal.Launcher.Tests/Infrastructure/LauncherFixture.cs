using System.Globalization;
using System.Text.Json;
using Portal.Tests.Cleanup;

namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>
/// Sets up, idempotently and as root, everything the launcher tests need on a fresh machine:
/// a policy group and throwaway users with subuid/subgid ranges, a busybox image in each user's
/// storage, fake GPU nodes, a podman stand-in that records every start, the root-owned test
/// policy and the published NativeAOT launcher. At the end (and when the set-up fails) it removes all of it again:
/// the users with their processes, homes and subordinate ids, the group, the policy, the GPU nodes and the folders.
/// </summary>
public sealed class LauncherFixture : IAsyncLifetime
{
    /// <summary>The launcher under test must be published with -p:LauncherPolicyPath= this path.</summary>
    public const string PolicyPath = "/etc/portal-launcher-test/launcher.json";
    public const string Root = "/var/lib/portal-launcher-test";
    public const string AuditLogPath = "/var/log/portal-launcher-test/audit.log";
    public const string SpawnDir = Root + "/spawned";
    public const string ShimPath = Root + "/bin/podman";
    public const string DatasetsRoot = Root + "/datasets";
    public const string ProjectsRoot = Root + "/projects";
    public const string StateDir = "/run/portal-launcher-test";

    /// <summary>Where the test launcher looks for the NVIDIA driver's files (built with -p:LauncherDriverRoot); a fake
    /// driver is made there by the tests that need one.</summary>
    public const string DriverRoot = Root + "/driver";
    public const string GpuDir = "/dev/ptest-gpu";

    /// <summary>The policy id of the fake GPU whose node really opens (nvidia2); not a plain number, which the bad-input corpus uses.</summary>
    public const string OpenableGpu = "openable";

    /// <summary>The test policy's cgroupParent: the launcher's tree under every cgroup hierarchy, removed on dispose.</summary>
    public const string CgroupParent = "portal-launcher-test";
    public const string Group = "ptest-portal";

    /// <summary>The sessions' proxy group (the portal account's alone in production) and where session folders go.</summary>
    public const string ProxyGroup = "ptest-proxy";
    public const string SessionsDir = "/run/ptest-sessions";
    public const string BridgePath = Root + "/bin/sockbridge";
    public const string Image = "localhost/ptest-busybox:latest";
    public const uint MinUid = 1000;

    /// <summary>The test policy's PAM service: a pam_unix-only file of its own, so an installed portal's is never touched.</summary>
    public const string PamService = "portal-launcher-test";
    public const string PamServiceFile = "/etc/pam.d/" + PamService;

    /// <summary>A group the test policy names privileged, beside the built-in ones.</summary>
    public const string ExtraPrivilegedGroup = "ptest-gpu-admins";

    public TestUser Alice { get; private set; } = null!;
    public TestUser Bob { get; private set; } = null!;

    /// <summary>A normal account that is not in the policy group.</summary>
    public TestUser Carol { get; private set; } = null!;

    /// <summary>A system account (uid below the policy minimum) that is in the group.</summary>
    public TestUser SystemUser { get; private set; } = null!;

    public string LauncherPath { get; private set; } = null!;

    /// <summary>
    /// Whether this host lets root open a character device made with mknod (one with /dev/null's numbers). Some hosts
    /// refuse every such open (a device policy of the machine itself), whatever the permissions and the job's device
    /// filter say: there, the tests that read the fake GPU nodes' answers (ENXIO from the absent driver, EPERM from
    /// the job's filter) learn nothing, and the device filter is proven on real nodes instead (<see cref="DeviceProbe"/>).
    /// </summary>
    public bool HandMadeNodesOpen { get; private set; }

    public async Task InitializeAsync()
    {
        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("The launcher tests create Linux users and must run as root (CI does).");
        }

        try
        {
            await SetUpAsync();
        }
        catch
        {
            await RemoveEverythingAsync();
            throw;
        }
    }

    public Task DisposeAsync() => RemoveEverythingAsync();

    private async Task SetUpAsync()
    {
        await Shell.CheckedAsync("/usr/sbin/groupadd", "-f", Group);
        await Shell.CheckedAsync("/usr/sbin/groupadd", "-f", ProxyGroup);

        // usermod --add-subuids needs the files to exist; a fresh machine may have neither.
        foreach (string file in new[] { "/etc/subuid", "/etc/subgid" })
        {
            if (!File.Exists(file))
            {
                File.WriteAllText(file, "");
            }
        }

        Alice = await EnsureUserAsync("ptest-alice", inGroup: true, system: false, slot: 0);
        Bob = await EnsureUserAsync("ptest-bob", inGroup: true, system: false, slot: 1);
        Carol = await EnsureUserAsync("ptest-carol", inGroup: false, system: false, slot: 2);
        SystemUser = await EnsureUserAsync("ptest-sys", inGroup: true, system: true, slot: 3);

        // The launcher's state (device ACL grant records) of an earlier, interrupted run would
        // make stop keep a grant "still held" by a job that no longer exists.
        DeleteLauncherState();
        await PrepareDirectoriesAsync();
        await PrepareGpuNodesAsync();
        WritePamService();
        HandMadeNodesOpen = await HandMadeNodesOpenAsync();
        WritePolicy(manageDeviceAcls: true);
        await TestCgroups.RemoveTreeAsync(CgroupParent);
        LauncherPath = await LocateLauncherAsync();
        await BuildBridgeAsync();

        // The first call also writes podman's root-owned configuration, which Bob's image import uses below.
        await VerifyLauncherUsesTestPolicyAsync();
        string tar = await BuildBusyboxTarAsync();

        // Alice keeps storage made by podman's own defaults (vfs on Debian 12), as a user from before the launcher
        // gave podman its configuration; Bob's is made with that configuration (overlay). Both must work.
        await EnsureImageAsync(Alice, tar, launcherStorage: false);
        await EnsureImageAsync(Bob, tar, launcherStorage: true);
        foreach (TestUser user in new[] { Alice, Bob })
        {
            await RemoveAllContainersAsync(user);
        }
    }

    /// <summary>Everything <see cref="SetUpAsync"/> made; ending the users' processes ends their containers too.</summary>
    private static async Task RemoveEverythingAsync()
    {
        try
        {
            await ThrowawayAccounts.RemoveAsync("ptest-alice", "ptest-bob", "ptest-carol", "ptest-sys", Group, ProxyGroup);
        }
        finally
        {
            // The files go even when an account would not: nothing of the run stays that need not.
            foreach (string dir in new[] { Path.GetDirectoryName(PolicyPath)!, Root, Path.GetDirectoryName(AuditLogPath)!, StateDir, GpuDir, SessionsDir })
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
            }

            File.Delete(PamServiceFile);

            // The users' pause processes ended with their accounts; the launcher's cgroup tree goes last.
            await TestCgroups.RemoveTreeAsync(CgroupParent);
        }
    }

    private static void DeleteLauncherState()
    {
        if (Directory.Exists(StateDir))
        {
            Directory.Delete(StateDir, recursive: true);
        }
    }

    /// <summary>The real pam_unix, as Debian's common-auth and common-account use it, minus nullok.</summary>
    private static void WritePamService()
    {
        File.WriteAllText(PamServiceFile, "auth required pam_unix.so\naccount required pam_unix.so\n");
        File.SetUnixFileMode(PamServiceFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>sockbridge, built from its source (src/Portal.SocketBridge) into a root-owned folder, as installed.</summary>
    private static async Task BuildBridgeAsync()
    {
        string repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "Portal.sln")))
        {
            repo = Path.GetDirectoryName(repo) ?? throw new InvalidOperationException("Portal.sln not found above the test binaries.");
        }

        await Shell.CheckedAsync(Path.Combine(repo, "src/Portal.SocketBridge/build.sh"), BridgePath);
    }

    /// <summary>The test policy's grace between SIGTERM and SIGKILL for <c>kill-gpu-process</c>.</summary>
    public const int KillGraceSeconds = 1;

    /// <summary>The test policy's task limit for every job (a request carries none).</summary>
    public const int PidsLimit = 256;

    /// <summary>Writes the test policy. ACL mode is on: fake GPU nodes are 0660 root, as the design asks on real hosts.</summary>
    /// <param name="manageDeviceAcls">The policy's <c>manageDeviceAcls</c>.</param>
    /// <param name="podmanTimeoutSeconds">The policy's <c>podmanTimeoutSeconds</c>.</param>
    /// <param name="pidsLimit">The policy's <c>pidsLimit</c>.</param>
    /// <param name="registries">The policy's <c>registries</c> (host, insecure); none when null.</param>
    /// <param name="allowNetwork">The policy's <c>allowNetwork</c>.</param>
    /// <param name="imageBuildTimeoutSeconds">The policy's <c>imageBuildTimeoutSeconds</c>; its default when null.</param>
    /// <param name="killGpuProcesses">The policy's <c>killGpuProcesses</c> (on in the test policy; off is the default).</param>
    public static void WritePolicy(bool manageDeviceAcls, int podmanTimeoutSeconds = 30, int pidsLimit = PidsLimit,
        IEnumerable<(string Host, bool Insecure)>? registries = null, bool allowNetwork = false, int? imageBuildTimeoutSeconds = null,
        bool killGpuProcesses = true)
    {
        var policy = new Dictionary<string, object>
        {
            ["version"] = 1,
            ["minUid"] = MinUid,
            ["group"] = Group,
            ["podman"] = ShimPath,
            ["runtime"] = Runtime(),
            ["allowNetwork"] = allowNetwork,
            ["mountRoots"] = new object[]
            {
                new Dictionary<string, object> { ["userHome"] = true },
                new Dictionary<string, object> { ["path"] = ProjectsRoot },
                new Dictionary<string, object> { ["path"] = DatasetsRoot, ["readOnly"] = true },
            },
            ["gpus"] = new object[]
            {
                new Dictionary<string, object> { ["id"] = "0", ["node"] = GpuDir + "/nvidia0", ["visibleId"] = "GPU-00000000-0000-0000-0000-000000000000" },
                new Dictionary<string, object> { ["id"] = "1", ["node"] = GpuDir + "/nvidia1", ["visibleId"] = "GPU-11111111-1111-1111-1111-111111111111" },
                new Dictionary<string, object> { ["id"] = OpenableGpu, ["node"] = GpuDir + "/nvidia2", ["visibleId"] = "GPU-22222222-2222-2222-2222-222222222222" },
            },
            ["gpuControlNodes"] = new[] { GpuDir + "/nvidiactl", GpuDir + "/nvidia-uvm" },
            ["pidsLimit"] = pidsLimit,
            ["logMaxBytes"] = 1048576,
            ["manageDeviceAcls"] = manageDeviceAcls,
            ["auditLog"] = AuditLogPath,
            ["stateDir"] = StateDir,
            ["pamService"] = PamService,
            ["privilegedGroups"] = new[] { ExtraPrivilegedGroup },
            ["sessions"] = new Dictionary<string, object> { ["dir"] = SessionsDir, ["group"] = ProxyGroup, ["bridge"] = BridgePath },
            ["cgroupParent"] = CgroupParent,
            ["podmanTimeoutSeconds"] = podmanTimeoutSeconds,
            ["registries"] = (registries ?? []).Select(r => new Dictionary<string, object> { ["host"] = r.Host, ["insecure"] = r.Insecure }).ToArray(),
            ["killGpuProcesses"] = killGpuProcesses,
            ["gpuProcessKillGraceSeconds"] = KillGraceSeconds,
        };
        if (imageBuildTimeoutSeconds is { } buildSeconds)
        {
            policy["imageBuildTimeoutSeconds"] = buildSeconds;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(PolicyPath)!);
        File.WriteAllText(PolicyPath, JsonSerializer.Serialize(policy));
        File.SetUnixFileMode(PolicyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>crun refuses cgroup v1 hybrid hosts (Debian 12's default); runc works on both.</summary>
    private static string Runtime() =>
        File.Exists("/sys/fs/cgroup/cgroup.controllers") && File.Exists("/usr/bin/crun") ? "crun" : "runc";

    private static async Task<TestUser> EnsureUserAsync(string name, bool inGroup, bool system, int slot)
    {
        if ((await Shell.RunAsync("/usr/bin/id", ["-u", name])).ExitCode != 0)
        {
            // Subordinate ids are assigned below, at a fixed place, not by useradd's allocator.
            List<string> args = ["--create-home", "--shell", "/bin/bash", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0"];
            if (system)
            {
                args.Add("--system");
            }

            await Shell.CheckedAsync("/usr/sbin/useradd", [.. args, name]);
        }

        if (inGroup)
        {
            await Shell.CheckedAsync("/usr/sbin/usermod", "-aG", Group, name);
        }
        else
        {
            await Shell.RunAsync("/usr/bin/gpasswd", ["-d", name, Group]);
        }

        if (!File.ReadAllLines("/etc/subuid").Any(l => l.StartsWith(name + ":", StringComparison.Ordinal))
            || !File.ReadAllLines("/etc/subgid").Any(l => l.StartsWith(name + ":", StringComparison.Ordinal)))
        {
            long start = 1_000_000_000L + (slot * 65536L);
            string range = $"{start}-{start + 65535}";
            await Shell.CheckedAsync("/usr/sbin/usermod", "--add-subuids", range, "--add-subgids", range, name);
        }

        uint uid = uint.Parse((await Shell.CheckedAsync("/usr/bin/id", "-u", name)).Trim(), CultureInfo.InvariantCulture);
        uint gid = uint.Parse((await Shell.CheckedAsync("/usr/bin/id", "-g", name)).Trim(), CultureInfo.InvariantCulture);
        string home = (await Shell.CheckedAsync("/usr/bin/getent", "passwd", name)).Trim().Split(':')[5];
        string runtimeDir = "/run/user/" + uid.ToString(CultureInfo.InvariantCulture);
        Directory.CreateDirectory(runtimeDir);
        await Shell.CheckedAsync("/usr/bin/chown", $"{uid}:{gid}", runtimeDir);
        File.SetUnixFileMode(runtimeDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new TestUser(name, uid, gid, home);
    }

    private async Task PrepareDirectoriesAsync()
    {
        const UnixFileMode rwxr_xr_x = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        foreach (string dir in new[] { Root, Root + "/bin", DatasetsRoot, ProjectsRoot, Path.GetDirectoryName(AuditLogPath)! })
        {
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, rwxr_xr_x);
        }

        File.WriteAllText(DatasetsRoot + "/readme.txt", "shared dataset\n");
        string aliceProject = ProjectsRoot + "/alice";
        Directory.CreateDirectory(aliceProject);
        Directory.CreateDirectory(Alice.Home + "/data");
        await Shell.CheckedAsync("/usr/bin/chown", $"{Alice.Uid}:{Alice.Gid}", aliceProject, Alice.Home + "/data");

        // Symlinks a user could plant to smuggle a host path into a mount.
        foreach (string link in new[] { Alice.Home + "/link-to-etc", aliceProject + "/escape" })
        {
            if (!Path.Exists(link))
            {
                File.CreateSymbolicLink(link, "/etc");
            }

            await Shell.CheckedAsync("/usr/bin/chown", "-h", $"{Alice.Uid}:{Alice.Gid}", link);
        }

        // Podman stand-in: records its parent, its own descriptors and its exact environment, then
        // becomes the real podman. Lets the tests prove what reached podman, and that a refused
        // request started none.
        // Records from earlier runs would match reused pids.
        if (Directory.Exists(SpawnDir))
        {
            Directory.Delete(SpawnDir, recursive: true);
        }

        Directory.CreateDirectory(SpawnDir);
        File.SetUnixFileMode(SpawnDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.StickyBit);
        File.WriteAllText(ShimPath, $"""
            #!/bin/bash
            f={SpawnDir}/$PPID-$$
            ls /proc/$$/fd > "$f.fds"
            cat /proc/$$/environ > "$f.env"
            printf '%s\0' "$@" > "$f.argv"
            exec /usr/bin/podman "$@"

            """);
        File.SetUnixFileMode(ShimPath, rwxr_xr_x);
    }

    /// <summary>
    /// Fake GPUs: character devices with NVIDIA's major number (195) and no driver behind them, so an open that the
    /// permissions and the job's device filter allow fails with ENXIO ("No such device or address"), and one the
    /// device filter refuses fails with EPERM. nvidia2 has /dev/fuse's numbers instead: a node that really opens, so
    /// that a process can hold it (the revocation tests).
    /// </summary>
    private static async Task PrepareGpuNodesAsync()
    {
        Directory.CreateDirectory(GpuDir);
        foreach ((string name, bool shared, string major, string minor) in new[]
        {
            ("nvidia0", false, "195", "0"), ("nvidia1", false, "195", "1"), ("nvidia2", false, "10", "229"),
            ("nvidiactl", true, "195", "255"), ("nvidia-uvm", true, "195", "254"),
        })
        {
            // Made afresh: a node left by another run may have other numbers.
            string node = Path.Combine(GpuDir, name);
            if (File.Exists(node))
            {
                File.Delete(node);
            }

            await Shell.CheckedAsync("/usr/bin/mknod", node, "c", major, minor);

            await Shell.CheckedAsync("/usr/bin/chown", "root:root", node);
            await Shell.CheckedAsync("/usr/bin/chmod", shared ? "0666" : "0660", node);
            if (!shared)
            {
                await Shell.CheckedAsync("/usr/bin/setfacl", "-b", node);
            }
        }
    }

    private static async Task<bool> HandMadeNodesOpenAsync()
    {
        string node = Path.Combine(GpuDir, "probe-null");
        if (File.Exists(node))
        {
            File.Delete(node);
        }

        await Shell.CheckedAsync("/usr/bin/mknod", "-m", "0666", node, "c", "1", "3");
        try
        {
            using var opened = new FileStream(node, FileMode.Open, FileAccess.Read);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        finally
        {
            File.Delete(node);
        }
    }

    /// <summary>The busybox root file system the test image is imported from.</summary>
    public const string BusyboxTar = Root + "/busybox-rootfs.tar";

    private static async Task<string> BuildBusyboxTarAsync()
    {
        string tar = BusyboxTar;
        if (File.Exists(tar))
        {
            return tar;
        }

        string rootfs = Root + "/busybox-rootfs";
        if (Directory.Exists(rootfs))
        {
            Directory.Delete(rootfs, recursive: true);
        }

        foreach (string d in new[] { "bin", "dev", "proc", "sys", "tmp", "etc", "root" })
        {
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        }

        File.Copy("/bin/busybox", rootfs + "/bin/busybox");
        File.SetUnixFileMode(rootfs + "/bin/busybox", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        string applets = await Shell.CheckedAsync("/bin/busybox", "--list");
        foreach (string applet in applets.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string link = Path.Combine(rootfs, "bin", applet);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }

        File.WriteAllText(rootfs + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        File.WriteAllText(rootfs + "/etc/group", "root:x:0:\n");
        await Shell.CheckedAsync("/usr/bin/tar", "-C", rootfs, "-cf", tar + ".tmp", ".");
        File.Move(tar + ".tmp", tar);
        return tar;
    }

    private static async Task EnsureImageAsync(TestUser user, string tar, bool launcherStorage)
    {
        bool hasVfs = Directory.Exists(Path.Combine(user.Home, ".local/share/containers/storage/vfs-layers"));
        if (launcherStorage && hasVfs)
        {
            // Storage from an earlier run of podman's defaults: start again with the launcher's configuration.
            await Shell.AsUserAsync(user, "/usr/bin/podman", "system", "reset", "--force");
        }

        IReadOnlyDictionary<string, string>? env = launcherStorage ? PodmanConfigEnvironment : null;
        if ((await Shell.AsUserAsync(user, env, "/usr/bin/podman", "image", "exists", Image)).ExitCode == 0)
        {
            return;
        }

        // The image says NVIDIA_VISIBLE_DEVICES=all, as CUDA images do; the launcher must override it.
        ShellResult r = await Shell.AsUserAsync(user, env, "/usr/bin/podman", "import",
            "--change", "ENV NVIDIA_VISIBLE_DEVICES=all", "--change", "ENV PATH=/bin", tar, Image);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"podman import as {user.Name} failed: {r}");
        }
    }

    /// <summary>The variables that give podman the launcher's root-owned configuration, as the launcher sets them.</summary>
    public static readonly IReadOnlyDictionary<string, string> PodmanConfigEnvironment = new Dictionary<string, string>
    {
        ["CONTAINERS_CONF"] = StateDir + "/podman/containers.conf",
        ["CONTAINERS_STORAGE_CONF"] = StateDir + "/podman/storage.conf",
        ["CONTAINERS_REGISTRIES_CONF"] = StateDir + "/podman/registries.conf",
    };

    /// <summary>podman as the user with the launcher's configuration (and the user's storage driver), as the launcher runs it.</summary>
    public static Task<ShellResult> PodmanAsync(TestUser user, params string[] args)
    {
        bool vfs = Directory.Exists(Path.Combine(user.Home, ".local/share/containers/storage/vfs-layers"))
            && !Directory.Exists(Path.Combine(user.Home, ".local/share/containers/storage/overlay-layers"));
        return Shell.AsUserAsync(user, PodmanConfigEnvironment, "/usr/bin/podman", vfs ? ["--storage-driver", "vfs", .. args] : args);
    }

    public static async Task RemoveAllContainersAsync(TestUser user)
    {
        // Apps first: a pod's infra container goes only with its pod.
        await PodmanAsync(user, "pod", "rm", "--all", "--force", "--time", "0");
        await PodmanAsync(user, "rm", "--all", "--force", "--time", "0");
        await PodmanAsync(user, "volume", "prune", "--force");
    }

    private static async Task<string> LocateLauncherAsync()
    {
        string? given = Environment.GetEnvironmentVariable("PORTAL_TEST_LAUNCHER");
        if (!string.IsNullOrEmpty(given))
        {
            return given;
        }

        string repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "Portal.sln")))
        {
            repo = Path.GetDirectoryName(repo) ?? throw new InvalidOperationException("Portal.sln not found above the test binaries.");
        }

        string output = Path.Combine(Path.GetTempPath(), "portal-launcher-test-" + Guid.NewGuid().ToString("N")[..8]);
        ShellResult r = await Shell.RunAsync("dotnet", ["publish", Path.Combine(repo, "src/Portal.Launcher"), "-c", "Release",
            "-p:LauncherPolicyPath=" + PolicyPath, "-p:LauncherDriverRoot=" + DriverRoot, "-o", output, "--nologo"], timeout: TimeSpan.FromMinutes(10));
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException("Publishing the launcher failed: " + r);
        }

        string path = Path.Combine(output, "portal-launcher");
        File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }

    private async Task VerifyLauncherUsesTestPolicyAsync()
    {
        LauncherCall call = await LauncherRunner.RunAsync(this, """{"version":1,"verb":"check"}""");
        string? detail = call.Response?.Checks?.FirstOrDefault(c => c.Name == "policy")?.Detail;
        if (call.ExitCode != 0 || detail is null || !detail.StartsWith(PolicyPath, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The launcher at {LauncherPath} does not read {PolicyPath}; publish it with -p:LauncherPolicyPath={PolicyPath}. {call}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class LauncherTestGroup : ICollectionFixture<LauncherFixture>
{
    /// <summary>One collection: the tests share users, GPU nodes and the policy, so they run one at a time.</summary>
    public const string Name = "launcher";
}

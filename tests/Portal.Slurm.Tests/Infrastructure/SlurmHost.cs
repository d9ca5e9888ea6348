using Portal.Tests.Cleanup;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Portal.Launcher.Client;
using Portal.Web.Tests.Jobs;

namespace Portal.Slurm.Tests.Infrastructure;

/// <summary>
/// Everything the Slurm tests share, set up as root and removed again at the end, also after a failure: the local
/// cluster, two throwaway accounts (pslurm-alice, pslurm-bob) in a policy group of their own with subordinate ids,
/// a runtime directory and a busybox image each, the root-owned launcher policy with its slurm section, and the
/// launcher published for that policy. Apart from the other suites' hosts (own users, policy path, ports), so they
/// run at the same time without waiting for each other.
/// </summary>
public sealed class SlurmHost : IAsyncLifetime
{
    public const string PolicyPath = "/etc/portal-slurm-test/launcher.json";
    public const string Root = "/var/lib/portal-slurm-test";
    public const string AuditDirectory = "/var/log/portal-slurm-test";
    public const string StateDirectory = "/run/portal-slurm-test-launcher";
    public const string Group = "pslurm-portal";
    public const string Image = "localhost/pslurm-busybox:latest";

    /// <summary>The node's sockbridge (this host is the cluster's one node): the relay of sessions and their bridge.</summary>
    public const string BridgePath = Root + "/bin/sockbridge";

    private static readonly string[] LauncherSources = ["src/Portal.Launcher", "src/Portal.Launcher.Protocol"];

    public SlurmTestUser Alice { get; private set; } = null!;

    public SlurmTestUser Bob { get; private set; } = null!;

    public string LauncherPath { get; private set; } = null!;

    /// <summary>The launcher as the portal calls it (directly, as root: the tests run as root).</summary>
    public ProcessLauncher Launcher => new(new LauncherOptions { LauncherPath = LauncherPath, UseSudo = false });

    public async Task InitializeAsync()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("The Slurm tests start Slurm's daemons and create Linux users: run them as root (CI does).");
        }

        try
        {
            await RemoveUsersAsync();
            await Sh.CheckedAsync("/usr/sbin/groupadd", "-f", Group);
            Alice = await CreateUserAsync("pslurm-alice", slot: 0);
            Bob = await CreateUserAsync("pslurm-bob", slot: 1);
            Directory.CreateDirectory(Root);
            Directory.CreateDirectory(Path.GetDirectoryName(BridgePath)!);
            await Sh.CheckedAsync(Path.Combine(JobHostFixture.RepositoryRoot(), "src/Portal.SocketBridge/build.sh"), BridgePath);
            var tar = await BuildBusyboxTarAsync();
            foreach (var user in new[] { Alice, Bob })
            {
                var r = await user.PodmanAsync("import", "--change", "ENV PATH=/bin", tar, Image);
                if (r.ExitCode != 0)
                {
                    throw new InvalidOperationException($"podman import as {user.Name} failed: {r}");
                }
            }

            WritePolicy();
            LauncherPath = await LocateLauncherAsync();
            await LocalSlurmCluster.StartAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        await LocalSlurmCluster.StopAsync();
        await RemoveUsersAsync();
        foreach (var dir in new[] { Path.GetDirectoryName(PolicyPath)!, AuditDirectory, StateDirectory, Root })
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    /// <summary>The users' containers removed by podman, then the accounts and everything rootless podman left of them
    /// (processes of the account and its subordinate ids, home, runtime folder, subordinate ids) and the policy group,
    /// by tests/throwaway-accounts.sh, the script tests/run.sh sweeps and checks with.</summary>
    private static async Task RemoveUsersAsync()
    {
        foreach (var name in new[] { "pslurm-alice", "pslurm-bob" })
        {
            if ((await Sh.RunAsync("/usr/bin/id", ["-u", name])).ExitCode == 0)
            {
                var user = await SlurmTestUser.ReadAsync(name);
                await user.PodmanAsync("rm", "--all", "--force", "--time", "0");
            }
        }

        await ThrowawayAccounts.RemoveAsync("pslurm-alice", "pslurm-bob", Group);
    }

    private static async Task<SlurmTestUser> CreateUserAsync(string name, int slot)
    {
        // A subordinate id block of its own, away from the other suites' (1000000000+, 1200000000+, 2000000000+).
        var start = 1_300_000_000L + (slot * 65536L);
        await Sh.CheckedAsync("/usr/sbin/useradd", "--create-home", "--shell", "/bin/bash", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0",
            "--groups", Group, name);
        await Sh.CheckedAsync("/usr/sbin/usermod", "--add-subuids", $"{start}-{start + 65535}", "--add-subgids", $"{start}-{start + 65535}", name);
        var user = await SlurmTestUser.ReadAsync(name);
        Directory.CreateDirectory(user.RuntimeDirectory);
        await Sh.CheckedAsync("/usr/bin/chown", $"{user.Uid}:{user.Gid}", user.RuntimeDirectory);
        File.SetUnixFileMode(user.RuntimeDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return user;
    }

    private static void WritePolicy()
    {
        var policy = new Dictionary<string, object?>
        {
            ["version"] = 1,
            ["minUid"] = 1000,
            ["group"] = Group,
            ["podman"] = "/usr/bin/podman",
            ["runtime"] = "runc",
            ["allowNetwork"] = false,
            ["mountRoots"] = new object[] { new Dictionary<string, object> { ["userHome"] = true } },
            ["pidsLimit"] = 256,
            ["logMaxBytes"] = 1048576,
            ["auditLog"] = AuditDirectory + "/audit.log",
            ["stateDir"] = StateDirectory,
            ["slurm"] = new Dictionary<string, object?>
            {
                ["config"] = LocalSlurmCluster.ConfigFile,
                ["partitions"] = new[] { LocalSlurmCluster.Partition },
                ["nodePodman"] = "/usr/bin/podman",
                // A cgroup v1 (hybrid) host: runc, and podman's default cgroups, which leave the container in the
                // caller's (the job's) cgroups there; crun and --cgroups=disabled are for cgroup v2 nodes.
                ["nodeRuntime"] = "runc",
                ["cgroups"] = "inherit",
                // The fake GPUs are terminals: Slurm allocates them, the container gets only the variables.
                ["gpuDevices"] = "none",
                ["nodeBridge"] = BridgePath,
            },
        };
        const UnixFileMode Rwxrxrx = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        foreach (var dir in new[] { Path.GetDirectoryName(PolicyPath)!, AuditDirectory })
        {
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, Rwxrxrx);
        }

        File.WriteAllText(PolicyPath, JsonSerializer.Serialize(policy));
        File.SetUnixFileMode(PolicyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    private static async Task<string> BuildBusyboxTarAsync()
    {
        var rootfs = Root + "/busybox-rootfs";
        foreach (var d in new[] { "bin", "dev", "proc", "sys", "tmp", "etc", "root" })
        {
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        }

        File.Copy("/bin/busybox", rootfs + "/bin/busybox", overwrite: true);
        File.SetUnixFileMode(rootfs + "/bin/busybox", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
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
        var tar = Root + "/busybox-rootfs.tar";
        await Sh.CheckedAsync("/usr/bin/tar", "-C", rootfs, "-cf", tar, ".");
        return tar;
    }

    /// <summary>PORTAL_TEST_SLURM_LAUNCHER (tests/run.sh publishes it), or one published here for this policy path and
    /// kept per source version under the temp folder (a NativeAOT publish takes minutes).</summary>
    private static async Task<string> LocateLauncherAsync()
    {
        var given = Environment.GetEnvironmentVariable("PORTAL_TEST_SLURM_LAUNCHER");
        if (!string.IsNullOrEmpty(given))
        {
            return given;
        }

        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "Portal.sln")))
        {
            repo = Path.GetDirectoryName(repo) ?? throw new InvalidOperationException("Portal.sln not found above the test binaries.");
        }

        var hash = new StringBuilder();
        foreach (var file in LauncherSources
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(repo, d), "*.*", SearchOption.AllDirectories))
            .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal))
                && !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal))
        {
            hash.Append(file).Append(Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(file))));
        }

        var version = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(hash.ToString())))[..16];
        var output = Path.Combine(Path.GetTempPath(), "portal-slurm-test-launcher-" + version);
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
        File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }
}

/// <summary>A throwaway account of the Slurm tests.</summary>
public sealed record SlurmTestUser(string Name, uint Uid, uint Gid, string Home)
{
    public string RuntimeDirectory => "/run/user/" + Uid.ToString(CultureInfo.InvariantCulture);

    public static async Task<SlurmTestUser> ReadAsync(string name)
    {
        var fields = (await Sh.CheckedAsync("/usr/bin/getent", "passwd", name)).Trim().Split(':');
        return new SlurmTestUser(name, uint.Parse(fields[2], CultureInfo.InvariantCulture), uint.Parse(fields[3], CultureInfo.InvariantCulture), fields[5]);
    }

    public Task<ShResult> PodmanAsync(params string[] args) => AsUserAsync("/usr/bin/podman", args);

    /// <summary>A tool run as this user with a clean environment (and the test cluster's configuration).</summary>
    public Task<ShResult> AsUserAsync(string tool, params string[] args) =>
        Sh.RunAsync("/usr/bin/setpriv", ["--reuid", Uid.ToString(CultureInfo.InvariantCulture), "--regid", Gid.ToString(CultureInfo.InvariantCulture),
            "--init-groups", "--", "/usr/bin/env", "-i", "HOME=" + Home, "USER=" + Name, "LOGNAME=" + Name, "PATH=/usr/bin:/bin",
            "XDG_RUNTIME_DIR=" + RuntimeDirectory, "LANG=C.UTF-8", "SLURM_CONF=" + LocalSlurmCluster.ConfigFile, "TZ=UTC", tool, .. args]);
}

[CollectionDefinition(Name)]
public sealed class SlurmHostGroup : ICollectionFixture<SlurmHost>
{
    /// <summary>One collection: the tests share one cluster, its two GPUs and the users, so they run one at a time.</summary>
    public const string Name = "slurm";
}

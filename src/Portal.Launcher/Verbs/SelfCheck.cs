using System.Globalization;
using System.Text.Json;
using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Verbs;

/// <summary>
/// <c>check</c>: reports what works on this host, so the admin page can say it instead of the
/// portal pretending. With a user, the podman part runs as that user (after the usual drop).
/// </summary>
internal static class SelfCheck
{
    public static async Task<VerbResult> ExecuteAsync(LaunchContext ctx)
    {
        var items = new List<CheckItem>();
        ctx.Audit.Accepted("self-test");
        items.Add(Item("policy", "ok", $"{PolicyLoader_Path(ctx)}: group {ctx.Policy.Group}, minUid {ctx.Policy.MinUid}, runtime {ctx.Policy.Runtime}"));
        items.AddRange(CgroupChecks.Items(ctx));
        items.Add(PodmanConfigItem(ctx));
        items.Add(TunItem(ctx.Policy.AllowNetwork));
        items.Add(SubIdItem(ctx.Request.User));
        items.Add(SubIdOverlapItem());
        items.AddRange(GpuItems(ctx));
        if (ctx.Policy.Gpus.Count > 0)
        {
            items.Add(await DriverCheckItem.ForAsync(ctx.Policy));
        }

        if (ctx.PodmanProblem is { } problem)
        {
            // Never run a podman that someone other than root could have replaced, not even for --version.
            items.Add(Item("podman", "fail", $"{problem} Every other verb is refused until podman is root's."));
        }
        else if (ctx.Request.User is not null)
        {
            UserCall call = UserCall.Open(ctx);
            call.DropForGood();
            UserAccount user = call.User;
            items.Add(Item("privilege-drop", "ok", $"now uid {user.Uid} gid {user.Gid}; uid 0 cannot be regained"));
            PodmanSession podman = call.Podman();
            items.Add(StorageItem(user, podman.StorageDriver, ctx.Policy.StorageDriver));
            ToolResult info = await call.RunAsync(podman, podman.Command("info", "--format", "json"));
            items.AddRange(info.TimedOut
                ? [Item("podman", "fail", $"podman info did not answer within {ctx.Policy.PodmanTimeoutSeconds} s; it was killed.")]
                : info.ExitCode == 0 ? PodmanInfoItems(info.Stdout, ctx.Policy.Runtime) : [Item("podman", "fail", VerbResult.Summarize(info.Stderr))]);
        }
        else
        {
            ToolResult version = await ToolProcess.RunAsync([ctx.Policy.Podman, "--version"], new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["LANG"] = "C" });
            items.Add(Item("podman", version.ExitCode == 0 ? "ok" : "fail", version.ExitCode == 0 ? version.Stdout.Trim() : VerbResult.Summarize(version.Stderr)));
        }

        ctx.Audit.Done(string.Join("; ", items.Select(i => $"{i.Name}={i.Status}")));
        return VerbResult.Success(new LauncherResponse
        {
            Checks = items,
            PolicyGpus = [.. ctx.Policy.Gpus.Select(g => g.Id)],
            Policy = new PolicyFacts
            {
                ManageDeviceAcls = ctx.Policy.ManageDeviceAcls,
                // Dev mode refuses kill-gpu-process whatever the policy says: the portal must not ask there.
                KillGpuProcesses = ctx.Policy.KillGpuProcesses && ctx.Privileged,
                GpuProcessKillGraceSeconds = ctx.Policy.GpuProcessKillGraceSeconds,
                CgroupParent = ctx.Policy.CgroupParent,
                SlurmSessions = ctx.Policy.Slurm?.AllowsSessions == true,
            },
        });
    }

    private static string PolicyLoader_Path(LaunchContext ctx) => Policy.PolicyLoader.PathFor(ctx.Privileged);

    /// <summary>Whether podman's configuration is the launcher's, root's, and what storage it gives.</summary>
    private static CheckItem PodmanConfigItem(LaunchContext ctx)
    {
        uint trusted = ctx.Privileged ? 0 : ctx.CallerUid;
        string dir;
        try
        {
            dir = PodmanConfigFiles.Ensure(ctx.Policy, trusted);
            foreach (string file in new[] { "containers.conf", "storage.conf", "registries.conf", "mounts.conf" })
            {
                _ = SafeFiles.ReadTrusted(dir + "/" + file, trusted, 64 * 1024);
            }
        }
        catch (Exception e) when (e is IOException or UnsafeFileException or UnauthorizedAccessException)
        {
            return Item("podman-config", "fail", "podman's configuration cannot be written root-owned: " + e.Message);
        }

        bool native = PodmanConfig.KernelHasRootlessOverlay(File.ReadAllText("/proc/sys/kernel/osrelease").Trim());
        string storage = ctx.Policy.StorageDriver == Policy.LauncherPolicy.VfsStorage
            ? "vfs (the policy says so: every container copies its whole image)"
            : native ? "overlay, native (the kernel mounts overlay in user namespaces)" : $"overlay through {ctx.Policy.FuseOverlayfs} (kernel before 5.13)";
        return Item("podman-config", ctx.Privileged ? "ok" : "warn",
            $"podman reads only {dir}/containers.conf, storage.conf and registries.conf ({(ctx.Privileged ? "root's" : "dev mode: the caller's")}); "
            + $"each user's ~/.config/containers is ignored; storage: {storage}.");
    }

    private static CheckItem StorageItem(UserAccount user, string driver, string policyDriver) =>
        driver == policyDriver
            ? Item("storage", "ok", $"{user.Name}: {driver}.")
            : Item("storage", "warn", $"{user.Name}'s existing storage is {driver}: it keeps working, but every container copies its whole image "
                + "(docs/operations.md, \"Moving a user off vfs storage\").");

    private static CheckItem TunItem(bool allowNetwork)
    {
        if (SafeFiles.StatPath("/dev/net/tun", follow: true, out stat st) < 0)
        {
            return Item("rootless-network", allowNetwork ? "fail" : "ok", "/dev/net/tun is missing" + (allowNetwork ? "" : "; jobs run with --network none"));
        }

        bool usable = (st.st_mode & S_IROTH) != 0 && (st.st_mode & S_IWOTH) != 0;
        string mode = Convert.ToString((int)(st.st_mode & 0xFFF), 8);
        return usable
            ? Item("rootless-network", "ok", $"/dev/net/tun is {mode}: slirp4netns can work.")
            : Item("rootless-network", allowNetwork ? "fail" : "ok", $"/dev/net/tun is {mode}: rootless networking fails" + (allowNetwork ? "." : "; jobs run with --network none."));
    }

    private static CheckItem SubIdItem(string? user)
    {
        List<(string Owner, long Start, long Count)> uids = SubIdFiles.Read(SubIdFiles.Uids), gids = SubIdFiles.Read(SubIdFiles.Gids);
        if (user is null)
        {
            int n = uids.Count + gids.Count;
            return Item("subids", n > 0 ? "ok" : "warn", $"{n} subordinate id ranges in /etc/subuid and /etc/subgid.");
        }

        return uids.FirstOrDefault(r => r.Owner == user) is { Owner: not null } range && gids.Any(r => r.Owner == user)
            ? Item("subids", "ok", $"{user}: {range.Start.ToString(CultureInfo.InvariantCulture)}+{range.Count.ToString(CultureInfo.InvariantCulture)}")
            : Item("subids", "fail", $"{user} has no subuid/subgid range: rootless podman cannot map ids.");
    }

    /// <summary>
    /// A subordinate range that covers a real account's uid (or a group's gid) lets its owner become that account with
    /// <c>podman unshare</c>: LDAP/sssd boxes have uids from 100000 up, where useradd hands out subordinate ids.
    /// </summary>
    private static CheckItem SubIdOverlapItem()
    {
        var (users, groups) = UserDatabase.ListIds();
        List<string> clashes = [];
        foreach ((string owner, long start, long count) in SubIdFiles.ReadAll())
        {
            clashes.AddRange(users.Where(u => u.Id >= start && u.Id < start + count)
                .Select(u => $"{owner}'s range {start}+{count} covers user {u.Name} (uid {u.Id})"));
            clashes.AddRange(groups.Where(g => g.Id >= start && g.Id < start + count)
                .Select(g => $"{owner}'s range {start}+{count} covers group {g.Name} (gid {g.Id})"));
        }

        return clashes.Count == 0
            ? Item("subid-overlap", "ok", $"No subordinate range covers any of the {users.Count} accounts and {groups.Count} groups listed.")
            : Item("subid-overlap", "fail", string.Join("; ", clashes.Distinct().Take(20)) + ". Move those ranges (usermod --del-subuids/--add-subuids) above every real id.");
    }

    private static IEnumerable<CheckItem> GpuItems(LaunchContext ctx)
    {
        if (ctx.Policy.Gpus.Count == 0)
        {
            yield return Item("gpus", "warn", "No GPU listed in the policy: CPU-only jobs.");
            yield break;
        }

        foreach (var gpu in ctx.Policy.Gpus)
        {
            if (SafeFiles.StatPath(gpu.Node, follow: false, out stat st) < 0 || (st.st_mode & S_IFMT) != S_IFCHR)
            {
                yield return Item("gpu " + gpu.Id, "fail", $"{gpu.Node} is missing or not a character device.");
                continue;
            }

            bool others = (st.st_mode & (S_IROTH | S_IWOTH)) != 0;
            string mode = Convert.ToString((int)(st.st_mode & 0xFFF), 8);
            yield return ctx.Policy.ManageDeviceAcls
                ? Item("gpu " + gpu.Id, others ? "fail" : "ok", others ? $"{gpu.Node} is {mode}: any user can open it, ACL mode enforces nothing (set NVreg_DeviceFileMode=0660)." : $"{gpu.Node} is {mode}: ACL mode enforces allocation.")
                : Item("gpu " + gpu.Id, others ? "warn" : "ok", others
                    ? $"{gpu.Node} is {mode}: jobs open only their own GPUs (device control), but any process outside a job can open it (ACL mode closes that)."
                    : $"{gpu.Node} is {mode}.");
        }

        bool cdi = Directory.Exists("/etc/cdi") && Directory.EnumerateFiles("/etc/cdi").Any() || Directory.Exists("/var/run/cdi") && Directory.EnumerateFiles("/var/run/cdi").Any();
        yield return Item("cdi", cdi || !ctx.Policy.UseCdi ? "ok" : "fail", cdi ? "A CDI spec exists." : "No CDI spec in /etc/cdi or /var/run/cdi" + (ctx.Policy.UseCdi ? ", but the policy says useCdi." : "; device nodes are passed."));
    }

    private static IEnumerable<CheckItem> PodmanInfoItems(string json, string runtime)
    {
        using var doc = JsonDocument.Parse(json);
        JsonElement host = doc.RootElement.GetProperty("host");
        string version = doc.RootElement.TryGetProperty("version", out JsonElement v) && v.TryGetProperty("Version", out JsonElement vv) ? vv.GetString() ?? "?" : "?";
        bool rootless = host.TryGetProperty("security", out JsonElement sec) && sec.TryGetProperty("rootless", out JsonElement rl) && rl.GetBoolean();
        string cgroupVersion = host.TryGetProperty("cgroupVersion", out JsonElement cg) ? cg.GetString() ?? "?" : "?";
        string cgroupManager = host.TryGetProperty("cgroupManager", out JsonElement cm) ? cm.GetString() ?? "?" : "?";
        return
        [
            Item("podman", "ok", $"podman {version}"),
            Item("rootless", rootless ? "ok" : "fail", rootless ? "podman runs rootless as the user." : "podman is not rootless!"),
            Item("podman-cgroups", "ok", $"podman sees cgroup {cgroupVersion}, manager {cgroupManager}; policy runtime {runtime}. Job limits are the launcher's job cgroups, not podman's."),
        ];
    }

    private static CheckItem Item(string name, string status, string detail) => new() { Name = name, Status = status, Detail = detail };
}

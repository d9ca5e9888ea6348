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
        items.Add(CgroupItem());
        items.Add(TunItem(ctx.Policy.AllowNetwork));
        items.Add(SubIdItem(ctx.Request.User));
        items.Add(SubIdOverlapItem());
        items.AddRange(GpuItems(ctx));

        if (ctx.PodmanProblem is { } problem)
        {
            // Never run a podman that someone other than root could have replaced, not even for --version.
            items.Add(Item("podman", "fail", $"{problem} Every other verb is refused until podman is root's."));
        }
        else if (ctx.Request.User is { } name)
        {
            UserAccount user = UserResolver.Resolve(name, ctx.Policy, ctx.Privileged ? null : ctx.CallerUid, UserDatabase.FindUser, UserDatabase.FindGroupId);
            string? runtimeDir = ctx.Privileged ? RuntimeDirectory.Ensure(user) : null;
            if (ctx.Privileged)
            {
                Privileges.DropTo(user);
            }

            items.Add(Item("privilege-drop", "ok", $"now uid {user.Uid} gid {user.Gid}; uid 0 cannot be regained"));
            ToolResult info = await ToolProcess.RunAsync([ctx.Policy.Podman, "info", "--format", "json"], PodmanArgs.Environment(user, runtimeDir), user.Home);
            items.AddRange(info.ExitCode == 0 ? PodmanInfoItems(info.Stdout, ctx.Policy.Runtime) : [Item("podman", "fail", VerbResult.Summarize(info.Stderr))]);
        }
        else
        {
            ToolResult version = await ToolProcess.RunAsync([ctx.Policy.Podman, "--version"], new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["LANG"] = "C" });
            items.Add(Item("podman", version.ExitCode == 0 ? "ok" : "fail", version.ExitCode == 0 ? version.Stdout.Trim() : VerbResult.Summarize(version.Stderr)));
        }

        ctx.Audit.Done(string.Join("; ", items.Select(i => $"{i.Name}={i.Status}")));
        return VerbResult.Success(new LauncherResponse { Checks = items });
    }

    private static string PolicyLoader_Path(LaunchContext ctx) => Policy.PolicyLoader.PathFor(ctx.Privileged);

    private static CheckItem CgroupItem()
    {
        bool v2 = File.Exists("/sys/fs/cgroup/cgroup.controllers");
        if (!v2)
        {
            return Item("cgroup", "warn", "cgroup v1 (legacy or hybrid): rootless podman ignores --memory/--cpus, and crun refuses hybrid mode (use runc).");
        }

        string delegated = File.Exists("/sys/fs/cgroup/user.slice/cgroup.controllers") ? File.ReadAllText("/sys/fs/cgroup/user.slice/cgroup.controllers").Trim() : "";
        return delegated.Contains("memory", StringComparison.Ordinal) && delegated.Contains("cpu", StringComparison.Ordinal)
            ? Item("cgroup", "ok", "cgroup v2 with cpu and memory delegated to users: limits are enforced.")
            : Item("cgroup", "warn", $"cgroup v2, but user.slice delegates only '{delegated}': rootless limits may be ignored.");
    }

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
                : Item("gpu " + gpu.Id, others ? "warn" : "ok", others ? $"{gpu.Node} is {mode}: allocation is advisory, any local user can open it." : $"{gpu.Node} is {mode}.");
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
            Item("podman-cgroups", cgroupVersion == "v2" ? "ok" : "warn", $"cgroup {cgroupVersion}, manager {cgroupManager}; policy runtime {runtime}."),
        ];
    }

    private static CheckItem Item(string name, string status, string detail) => new() { Name = name, Status = status, Detail = detail };
}

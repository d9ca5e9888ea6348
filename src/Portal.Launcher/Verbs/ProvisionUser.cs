using System.Globalization;
using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Verbs;

/// <summary>
/// Creates a Linux account for the portal: strict name, home, membership of the policy group, and a
/// subuid/subgid block that overlaps no existing range. Runs as root throughout (it edits the user
/// database through useradd/usermod, which take shadow's own locks); admin-only on the portal side.
/// </summary>
internal static class ProvisionUser
{
    public static async Task<VerbResult> ExecuteAsync(LaunchContext ctx)
    {
        if (!ctx.Privileged)
        {
            throw new RequestRefusedException("provision-user needs the privileged launcher.");
        }

        string name = ctx.Request.User!;
        if (UserDatabase.FindGroupId(ctx.Policy.Group) is null)
        {
            throw new RequestRefusedException($"The policy group '{ctx.Policy.Group}' does not exist.");
        }

        // Serialise provisioning: computing a free block and writing it must not interleave.
        RuntimeDirectory.EnsureRootDir(ctx.Policy.StateDir, 0x1C0);
        using var lockFile = new FileStream(Path.Combine(ctx.Policy.StateDir, "provision.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        await LockAsync(lockFile);

        var env = new Dictionary<string, string> { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin", ["LANG"] = "C" };
        UserAccount? existing = UserDatabase.FindUser(name);
        bool created = false;
        if (existing is null)
        {
            SafeFiles.CheckTrustedExecutable(ctx.Policy.Useradd, 0);
            List<string> argv = [ctx.Policy.Useradd, "--create-home", "--user-group", "--shell", "/bin/bash",
                "--groups", ctx.Policy.Group, "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", "--", name];
            ctx.Audit.Accepted(string.Join(' ', argv));
            ToolResult r = await ToolProcess.RunAsync(argv, env);
            if (r.ExitCode != 0)
            {
                ctx.Audit.Failed($"useradd exited {r.ExitCode}: {VerbResult.Summarize(r.Stderr)}");
                return VerbResult.ToolFailed("useradd", r);
            }

            created = true;
        }

        UserAccount user = UserResolver.Resolve(name, ctx.Policy, null, UserDatabase.FindUser, UserDatabase.FindGroupId);
        SubIds.EnsureFilesExist();
        (long start, long count)? range = SubIds.RangeOf(name);
        if (range is null)
        {
            long begin = SubIds.FindFreeBlock(ctx.Policy.SubIdBase, ctx.Policy.SubIdCount, SubIds.ReadAll());
            string spec = $"{begin.ToString(CultureInfo.InvariantCulture)}-{(begin + ctx.Policy.SubIdCount - 1).ToString(CultureInfo.InvariantCulture)}";
            SafeFiles.CheckTrustedExecutable(ctx.Policy.Usermod, 0);
            List<string> argv = [ctx.Policy.Usermod, "--add-subuids", spec, "--add-subgids", spec, "--", name];
            ctx.Audit.Accepted(string.Join(' ', argv));
            ToolResult r = await ToolProcess.RunAsync(argv, env);
            if (r.ExitCode != 0)
            {
                ctx.Audit.Failed($"usermod exited {r.ExitCode}: {VerbResult.Summarize(r.Stderr)}");
                return VerbResult.ToolFailed("usermod", r);
            }

            range = (begin, ctx.Policy.SubIdCount);
        }

        ctx.Audit.Done($"{(created ? "created" : "existing")} uid {user.Uid}, subids {range.Value.start}+{range.Value.count}");
        return VerbResult.Success(new LauncherResponse
        {
            Provisioned = new ProvisionResult
            {
                User = user.Name, Uid = (int)user.Uid, Gid = (int)user.Gid, Home = user.Home,
                SubIdStart = range.Value.start, SubIdCount = range.Value.count, Created = created,
            },
        });
    }

    private static async Task LockAsync(FileStream file)
    {
        // lockf blocks in the kernel; the launcher has nothing else to do meanwhile.
        int rc = await Task.Run(() => lockf((int)file.SafeFileHandle.DangerousGetHandle(), F_LOCK, 0));
        if (rc < 0)
        {
            throw new IOException($"Cannot lock the provisioning lock (errno {errno}).");
        }
    }
}

/// <summary>/etc/subuid and /etc/subgid: reading ranges and finding a block that overlaps none.</summary>
internal static class SubIds
{
    public static IReadOnlyList<(string Owner, long Start, long Count)> ReadAll() =>
        [.. Read("/etc/subuid"), .. Read("/etc/subgid")];

    /// <summary>usermod refuses --add-subuids unless both files exist; a fresh host may have neither.</summary>
    public static void EnsureFilesExist()
    {
        foreach (string path in new[] { "/etc/subuid", "/etc/subgid" })
        {
            if (!File.Exists(path))
            {
                using var created = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = (UnixFileMode)0b110_100_100 });
            }
        }
    }

    public static (long Start, long Count)? RangeOf(string name)
    {
        var uid = Read("/etc/subuid").FirstOrDefault(r => r.Owner == name);
        var gid = Read("/etc/subgid").FirstOrDefault(r => r.Owner == name);
        return uid.Owner is null || gid.Owner is null ? null : (uid.Start, uid.Count);
    }

    /// <summary>The lowest aligned block at or above <paramref name="baseId"/> overlapping no range.</summary>
    public static long FindFreeBlock(long baseId, long count, IReadOnlyList<(string Owner, long Start, long Count)> taken)
    {
        long candidate = baseId;
        while (true)
        {
            long end = candidate + count;
            var clash = taken.Where(t => t.Start < end && candidate < t.Start + t.Count).ToList();
            if (clash.Count == 0)
            {
                return candidate;
            }

            // Jump past the furthest clash, then realign so blocks stay tidy.
            long past = clash.Max(t => t.Start + t.Count);
            candidate = baseId + ((past - baseId + count - 1) / count * count);
            if (candidate > uint.MaxValue - count)
            {
                throw new InvalidOperationException("No free subordinate id block is left.");
            }
        }
    }

    private static IEnumerable<(string Owner, long Start, long Count)> Read(string path)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        foreach (string line in File.ReadAllLines(path))
        {
            string[] f = line.Split(':');
            if (f.Length == 3 && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long s)
                && long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out long c))
            {
                yield return (f[0], s, c);
            }
        }
    }
}

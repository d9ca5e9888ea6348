using Portal.Launcher.Podman;
using Portal.Launcher.Policy;

namespace Portal.Launcher.Native;

/// <summary>
/// Device ACL mode (policy <c>manageDeviceAcls</c>): GPU nodes are 0660 root:&lt;root-only group&gt;, and
/// the job's owner gets an ACL entry on exactly its nodes for the job's lifetime, like logind's seat
/// devices. A grant is recorded under the root-only state directory so that stop/remove/release
/// revoke exactly what run granted, whatever the request says then.
/// </summary>
internal static class DeviceAcls
{
    public static async Task GrantAsync(LauncherPolicy policy, UserAccount user, string job, IReadOnlyList<string> nodes)
    {
        string file = GrantFile(policy, user, job);
        await File.WriteAllLinesAsync(file, nodes);
        foreach (string node in nodes)
        {
            await SetfaclAsync(policy, "-m", $"u:{user.Uid}:rw", node);
        }
    }

    /// <summary>Revokes the job's grant; a node stays granted while another job of the same user holds it.</summary>
    public static async Task<IReadOnlyList<string>> RevokeAsync(LauncherPolicy policy, UserAccount user, string job)
    {
        string file = GrantFile(policy, user, job);
        if (!File.Exists(file))
        {
            return [];
        }

        string[] nodes = System.Text.Encoding.UTF8.GetString(SafeFiles.ReadTrusted(file, 0, 64 * 1024))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        File.Delete(file);
        HashSet<string> stillHeld = [.. Directory.EnumerateFiles(Path.GetDirectoryName(file)!, $"{user.Uid}-*")
            .SelectMany(f => System.Text.Encoding.UTF8.GetString(SafeFiles.ReadTrusted(f, 0, 64 * 1024)).Split('\n', StringSplitOptions.RemoveEmptyEntries))];
        var revoked = new List<string>();
        foreach (string node in nodes.Where(n => !stillHeld.Contains(n) && policy.Gpus.Any(g => g.Node == n)))
        {
            await SetfaclAsync(policy, "-x", $"u:{user.Uid}", node);
            revoked.Add(node);
        }

        return revoked;
    }

    private static string GrantFile(LauncherPolicy policy, UserAccount user, string job)
    {
        RuntimeDirectory.EnsureRootDir(policy.StateDir, 0x1C9 /* 0711: podman reads its configuration below it */);
        string dir = Path.Combine(policy.StateDir, "acl");
        RuntimeDirectory.EnsureRootDir(dir, 0x1C0);
        return Path.Combine(dir, $"{user.Uid}-{job}");
    }

    private static async Task SetfaclAsync(LauncherPolicy policy, string op, string entry, string node)
    {
        SafeFiles.CheckTrustedExecutable(policy.Setfacl, 0);
        ToolResult r = await ToolProcess.RunAsync([policy.Setfacl, op, entry, "--", node], new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["LANG"] = "C" });
        if (r.ExitCode != 0)
        {
            throw new IOException($"setfacl {op} {entry} {node} failed: {r.Stderr.Trim()}");
        }
    }
}

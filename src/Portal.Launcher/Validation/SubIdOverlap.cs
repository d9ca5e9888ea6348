using Portal.Launcher.Native;

namespace Portal.Launcher.Validation;

/// <summary>
/// A job's owner whose subordinate ids cover a real account's uid or a group's gid could become that account inside
/// the user namespace (<c>podman unshare</c>): the launcher starts no job for such an owner until the range is moved.
/// </summary>
internal static class SubIdOverlap
{
    /// <summary>Why <paramref name="user"/>'s subordinate ranges are unsafe, or null.</summary>
    public static string? Problem(string user)
    {
        List<(long Start, long Count)> ranges = [.. SubIdFiles.ReadAll().Where(r => r.Owner == user).Select(r => (r.Start, r.Count))];
        if (ranges.Count == 0)
        {
            return null;
        }

        var (users, groups) = UserDatabase.ListIds();
        foreach ((long start, long count) in ranges)
        {
            if (users.FirstOrDefault(u => u.Id >= start && u.Id < start + count) is { Name: not null } account)
            {
                return $"The subordinate ids of '{user}' ({start}+{count}) cover the account '{account.Name}' (uid {account.Id}); move the range above every real id before running jobs.";
            }

            if (groups.FirstOrDefault(g => g.Id >= start && g.Id < start + count) is { Name: not null } group)
            {
                return $"The subordinate ids of '{user}' ({start}+{count}) cover the group '{group.Name}' (gid {group.Id}); move the range above every real id before running jobs.";
            }
        }

        return null;
    }
}

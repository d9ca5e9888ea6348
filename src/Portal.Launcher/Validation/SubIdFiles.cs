using System.Globalization;
using Portal.Launcher.Native;

namespace Portal.Launcher.Validation;

/// <summary>
/// /etc/subuid and /etc/subgid as the launcher reads them: for the self-test, and before a job starts, to refuse an
/// owner whose subordinate ids cover a real account (<see cref="SubIdOverlap"/>). The launcher never writes them.
/// </summary>
internal static class SubIdFiles
{
    public const string Uids = "/etc/subuid";
    public const string Gids = "/etc/subgid";

    /// <summary>The owner:start:count lines of <paramref name="path"/>; none when the file is missing.</summary>
    public static List<(string Owner, long Start, long Count)> Read(string path)
    {
        var ranges = new List<(string, long, long)>();
        foreach (string line in File.Exists(path) ? TextFiles.ReadLines(path) : [])
        {
            string[] f = line.Split(':');
            if (f.Length == 3 && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long start)
                && long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out long count))
            {
                ranges.Add((f[0], start, count));
            }
        }

        return ranges;
    }

    /// <summary>Every range of both files.</summary>
    public static List<(string Owner, long Start, long Count)> ReadAll() => [.. Read(Uids), .. Read(Gids)];
}

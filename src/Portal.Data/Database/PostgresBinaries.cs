using System.Globalization;

namespace Portal.Data.Database;

/// <summary>Finds the machine's PostgreSQL server programs (initdb, pg_ctl).</summary>
internal static class PostgresBinaries
{
    /// <summary>Debian installs each major version side by side under this folder.</summary>
    private const string DebianRoot = "/usr/lib/postgresql";

    public static string? FindBinDirectory()
    {
        if (Directory.Exists(DebianRoot))
        {
            string? newest = Directory.EnumerateDirectories(DebianRoot)
                .Where(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                .OrderByDescending(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture))
                .Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault(HasServerPrograms);
            if (newest is not null)
            {
                return newest;
            }
        }

        string path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(HasServerPrograms);
    }

    private static bool HasServerPrograms(string directory) =>
        File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));
}

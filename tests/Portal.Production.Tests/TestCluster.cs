using Portal.Web.Tests.Jobs;

namespace Portal.Production.Tests;

/// <summary>
/// A PostgreSQL cluster of the test's own, standing in for the host's system cluster: Debian's binaries, run by the
/// postgres account, reachable only through a Unix socket in <see cref="SocketDirectory"/> with peer authentication,
/// as Debian configures its clusters. install.sh creates the portal's role and database in it, as it would in
/// the system cluster.
/// </summary>
public sealed class TestCluster(string root)
{
    public string SocketDirectory => Path.Combine(root, "run");

    private string DataDirectory => Path.Combine(root, "data");

    /// <summary>The newest installed PostgreSQL's programs.</summary>
    private static string Bin => Path.Combine("/usr/lib/postgresql",
        Directory.GetDirectories("/usr/lib/postgresql").Select(Path.GetFileName)
            .MaxBy(v => int.Parse(v!, System.Globalization.CultureInfo.InvariantCulture))!, "bin");

    public async Task StartAsync()
    {
        await StopAsync();
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        Directory.CreateDirectory(DataDirectory);
        Directory.CreateDirectory(SocketDirectory);
        await Sh.CheckedAsync("/usr/bin/chown", "-R", "postgres:postgres", root);
        File.SetUnixFileMode(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var bin = Bin;
        await AsPostgresAsync(Path.Combine(bin, "initdb"), "-D", DataDirectory, "-U", "postgres", "--auth-local=peer", "--auth-host=reject",
            "-E", "UTF8", "--no-locale");
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"),
            $"listen_addresses = ''\nunix_socket_directories = '{SocketDirectory}'\nfsync = off\n");
        await AsPostgresAsync(Path.Combine(bin, "pg_ctl"), "-D", DataDirectory, "-l", Path.Combine(root, "postgres.log"), "-w", "start");
    }

    public async Task StopAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            await Sh.RunAsync("/usr/sbin/runuser", ["-u", "postgres", "--", Path.Combine(Bin, "pg_ctl"), "-D", DataDirectory, "-m", "immediate", "-w", "stop"]);
        }
    }

    private static Task<string> AsPostgresAsync(string program, params string[] args) =>
        Sh.CheckedAsync("/usr/sbin/runuser", ["-u", "postgres", "--", program, .. args]);
}

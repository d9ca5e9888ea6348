using Microsoft.Extensions.Logging;
using Npgsql;
using Portal.Core.Processes;

namespace Portal.Data.Database;

/// <summary>
/// A PostgreSQL cluster owned by the portal, under its data folder, reachable only through a Unix
/// socket in a 0700 folder: used when no connection string is configured (development mode, tests).
/// </summary>
/// <remarks>
/// PostgreSQL refuses to run as root, so when the portal runs as root the cluster belongs to the
/// <c>postgres</c> system account (created by Debian's package) and its tools run through runuser.
/// pg_ctl starts the server in a session of its own, so a Ctrl-C at the terminal reaches only the
/// portal, which then stops the server cleanly.
/// </remarks>
public sealed class PrivatePostgresCluster
{
    private const string DatabaseName = "portal";
    private const string SuperUser = "portal";
    private const string ServiceAccount = "postgres";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(2);

    private readonly string _binDirectory;
    private readonly string _dataDirectory;
    private readonly string _socketDirectory;
    private readonly string _logFile;
    private readonly ILogger _logger;

    private PrivatePostgresCluster(string binDirectory, string root, ILogger logger)
    {
        _binDirectory = binDirectory;
        _dataDirectory = Path.Combine(root, "data");
        _socketDirectory = Path.Combine(root, "run");
        _logFile = Path.Combine(root, "postgres.log");
        _logger = logger;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = _socketDirectory,
            Username = SuperUser,
            Database = DatabaseName,
        }.ConnectionString;
    }

    /// <summary>How the portal reaches this cluster.</summary>
    public string ConnectionString { get; }

    /// <summary>Where the server writes its own log, for error messages.</summary>
    public string LogFile => _logFile;

    /// <summary>
    /// Creates the cluster under <paramref name="root"/> if it is not there yet, starts it unless it
    /// is already running (a previous portal that crashed), and makes sure the portal database exists.
    /// </summary>
    public static async Task<PrivatePostgresCluster> StartAsync(string root, ILogger logger, CancellationToken cancellationToken)
    {
        string binDirectory = PostgresBinaries.FindBinDirectory()
            ?? throw new PrivateClusterException(
                "No PostgreSQL server programs (initdb, pg_ctl) were found. Install them with " +
                "'apt-get install postgresql' (Debian), or configure ConnectionStrings:Portal to use an existing server.");

        root = Path.GetFullPath(root);
        var cluster = new PrivatePostgresCluster(binDirectory, root, logger);
        cluster.CheckSocketPathLength();
        if (await FindFolderTheServiceAccountCannotEnterAsync(root, cancellationToken) is { } problem)
        {
            throw new PrivateClusterException(problem);
        }

        await cluster.InitializeIfNeededAsync(root, cancellationToken);
        await cluster.StartServerAsync(cancellationToken);
        await cluster.EnsureDatabaseAsync(cancellationToken);
        return cluster;
    }

    /// <summary>Stops the server with a fast shutdown (open sessions are ended, data is flushed).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        CommandResult result = await RunPostgresToolAsync("pg_ctl", ["-D", _dataDirectory, "-m", "fast", "-w", "stop"], cancellationToken);
        if (result.Succeeded)
        {
            _logger.LogInformation("Private PostgreSQL cluster stopped.");
        }
        else
        {
            _logger.LogWarning("Stopping the private PostgreSQL cluster failed: {Message}", result.Message);
        }
    }

    private static bool RunsAsRoot => Environment.IsPrivilegedProcess;

    /// <summary>
    /// Run as root, the cluster runs as <c>postgres</c>, which must be able to pass through every folder above
    /// <paramref name="root"/> (a <c>mktemp -d</c> folder, 0700, stops it). Asked up front, as that account, so the
    /// answer covers modes, owners and ACLs alike; null when it can, or when the portal is not root.
    /// </summary>
    public static async Task<string?> FindFolderTheServiceAccountCannotEnterAsync(string root, CancellationToken cancellationToken)
    {
        if (!RunsAsRoot)
        {
            return null;
        }

        List<string> above = [];
        for (string? folder = Path.GetDirectoryName(Path.GetFullPath(root)); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            above.Insert(0, folder);
        }

        // The folders the portal will create itself get the default mode, which lets everyone through.
        foreach (string folder in above.Where(Directory.Exists))
        {
            CommandResult enter = await ExternalCommand.RunAsync(
                "runuser", ["-u", ServiceAccount, "--", "test", "-x", folder], ToolTimeout, cancellationToken);
            if (!enter.Succeeded)
            {
                string mode = Convert.ToString((int)File.GetUnixFileMode(folder), 8).PadLeft(4, '0');
                return $"The data folder {Path.GetDirectoryName(root)} cannot hold the private PostgreSQL cluster: running as root, " +
                    $"the cluster runs as the '{ServiceAccount}' account, which cannot enter {folder} (mode {mode}). " +
                    $"Either let others pass through it without listing it ('chmod o+x {folder}'), or choose a data folder " +
                    "outside it (--Portal:DataDirectory=..., by default /var/lib/gpu-portal), or use an existing server " +
                    "(ConnectionStrings:Portal).";
            }
        }

        return null;
    }

    private void CheckSocketPathLength()
    {
        // sun_path holds 108 bytes; PostgreSQL appends "/.s.PGSQL.5432" and a terminator.
        const int MaxSocketDirectoryLength = 107 - 15;
        if (_socketDirectory.Length > MaxSocketDirectoryLength)
        {
            throw new PrivateClusterException(
                $"The data folder path is too long for a PostgreSQL Unix socket ({_socketDirectory}). " +
                "Choose a shorter Portal:DataDirectory.");
        }
    }

    private async Task InitializeIfNeededAsync(string root, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(_socketDirectory);
        File.SetUnixFileMode(_socketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (File.Exists(Path.Combine(_dataDirectory, "PG_VERSION")))
        {
            await HandOverToServiceAccountAsync(root, cancellationToken);
            return;
        }

        _logger.LogInformation("Creating a private PostgreSQL cluster in {Directory}.", _dataDirectory);
        Directory.CreateDirectory(_dataDirectory);
        File.SetUnixFileMode(_dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await HandOverToServiceAccountAsync(root, cancellationToken);

        CommandResult init = await RunPostgresToolAsync(
            "initdb",
            ["-D", _dataDirectory, "-U", SuperUser, "--auth-local=trust", "--auth-host=reject", "-E", "UTF8", "--no-locale"],
            cancellationToken);
        if (!init.Succeeded)
        {
            throw new PrivateClusterException($"initdb failed: {init.Message}");
        }

        // Only the Unix socket: no TCP listener, so no other local user can reach the server.
        string settings = $"""

            # Written by the GPU box portal: a private cluster reachable only through its socket folder.
            listen_addresses = ''
            unix_socket_directories = '{_socketDirectory.Replace("'", "''", StringComparison.Ordinal)}'
            unix_socket_permissions = 0700
            """;
        await File.AppendAllTextAsync(Path.Combine(_dataDirectory, "postgresql.conf"), settings, cancellationToken);
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        CommandResult status = await RunPostgresToolAsync("pg_ctl", ["-D", _dataDirectory, "status"], cancellationToken);
        if (status.Succeeded)
        {
            _logger.LogInformation("Reusing the private PostgreSQL cluster already running in {Directory}.", _dataDirectory);
            return;
        }

        CommandResult start = await RunPostgresToolAsync(
            "pg_ctl", ["-D", _dataDirectory, "-l", _logFile, "-w", "-t", "60", "start"], cancellationToken);
        if (!start.Succeeded)
        {
            throw new PrivateClusterException(
                $"The private PostgreSQL cluster did not start: {start.Message}\nIts log: {_logFile}\n{TailOfLog()}");
        }

        _logger.LogInformation("Private PostgreSQL cluster started (socket folder {Socket}).", _socketDirectory);
    }

    private async Task EnsureDatabaseAsync(CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", DatabaseName);
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{DatabaseName}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task HandOverToServiceAccountAsync(string root, CancellationToken cancellationToken)
    {
        if (!RunsAsRoot)
        {
            return;
        }

        CommandResult chown = await ExternalCommand.RunAsync(
            "chown", ["-R", $"{ServiceAccount}:{ServiceAccount}", root], ToolTimeout, cancellationToken);
        if (!chown.Succeeded)
        {
            throw new PrivateClusterException(
                $"Running as root, the private cluster must belong to the '{ServiceAccount}' account " +
                $"(install Debian's 'postgresql' package, which creates it): {chown.Message}");
        }
    }

    private Task<CommandResult> RunPostgresToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        string program = Path.Combine(_binDirectory, tool);
        if (!RunsAsRoot)
        {
            return ExternalCommand.RunAsync(program, arguments, ToolTimeout, cancellationToken);
        }

        return ExternalCommand.RunAsync("runuser", ["-u", ServiceAccount, "--", program, .. arguments], ToolTimeout, cancellationToken);
    }

    private string TailOfLog()
    {
        try
        {
            return string.Join('\n', File.ReadLines(_logFile).TakeLast(10));
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}

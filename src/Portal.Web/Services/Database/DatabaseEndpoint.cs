namespace Portal.Web.Services.Database;

/// <summary>
/// Where the database is. Known from configuration, or only once the private cluster has started,
/// so contexts read it when they are created rather than when services are registered.
/// </summary>
public sealed class DatabaseEndpoint
{
    private string? _connectionString;

    public bool IsKnown => _connectionString is not null;

    public string ConnectionString =>
        _connectionString ?? throw new InvalidOperationException("The database is not started yet.");

    internal void Set(string connectionString) => _connectionString = connectionString;
}

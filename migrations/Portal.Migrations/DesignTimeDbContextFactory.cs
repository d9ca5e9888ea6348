using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Portal.Data;

namespace Portal.Migrations;

/// <summary>
/// Lets <c>dotnet ef</c> build the model without starting the portal. Creating a migration needs no
/// database; applying one from the command line reads PORTAL_CONNECTION_STRING.
/// </summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext(string[] args)
    {
        string connectionString = Environment.GetEnvironmentVariable("PORTAL_CONNECTION_STRING")
            ?? "Host=/nonexistent;Database=portal";
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDatabaseOptions.Configure(options, connectionString);
        return new PortalDbContext(options.Options);
    }
}

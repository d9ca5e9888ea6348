using Microsoft.EntityFrameworkCore;
using Portal.Data;

namespace Portal.Web.Services.Database;

/// <summary>
/// Creates contexts once the database is known. EF's own factory builds its options when the factory
/// itself is constructed, which happens as soon as any singleton that needs a context is, often
/// before the private cluster has started; this one builds them at the first context instead.
/// </summary>
internal sealed class PortalDbContextFactory(DatabaseEndpoint endpoint, ILoggerFactory loggerFactory) : IDbContextFactory<PortalDbContext>
{
    private DbContextOptions<PortalDbContext>? _options;

    public PortalDbContext CreateDbContext()
    {
        // Two threads racing here build equal options; either result is fine.
        _options ??= BuildOptions();
        return new PortalDbContext(_options);
    }

    private DbContextOptions<PortalDbContext> BuildOptions()
    {
        var builder = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDatabaseOptions.Configure(builder, endpoint.ConnectionString);
        builder.UseLoggerFactory(loggerFactory);
        return builder.Options;
    }
}

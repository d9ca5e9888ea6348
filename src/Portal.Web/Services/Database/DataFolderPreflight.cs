using Portal.Data.Database;
using Portal.Web.Configuration;

namespace Portal.Web.Services.Database;

/// <summary>
/// Checks, before anything starts, that the private cluster can live in the data folder, so a folder it cannot
/// reach ends the portal with one sentence saying what to do instead of a stack trace from a hosted service.
/// </summary>
internal static class DataFolderPreflight
{
    public static async Task<string?> ProblemAsync(IConfiguration configuration, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(configuration.GetConnectionString(DatabaseStartup.ConnectionStringName)))
        {
            return null;
        }

        var portal = new PortalOptions();
        configuration.GetSection(PortalOptions.SectionName).Bind(portal);
        string root = Path.Combine(PortalPaths.DataDirectory(portal), "postgres");
        return await PrivatePostgresCluster.FindFolderTheServiceAccountCannotEnterAsync(root, cancellationToken);
    }
}

using Portal.Web.Configuration;
using Portal.Web.Services.Database;

// "migrate": apply pending database migrations and exit (the production install's explicit step).
if (MigrateCommand.IsRequested(args))
{
    return await MigrateCommand.RunAsync(args);
}

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
// Run from a build (deploy/dev/run.sh), the framework's static files are found through the
// build's static web assets manifest, whatever the environment; a published portal has no such
// manifest and serves them from its wwwroot, so this changes nothing there.
builder.WebHost.UseStaticWebAssets();
builder.Services.AddPortal(builder.Configuration);

if (await DataFolderPreflight.ProblemAsync(builder.Configuration, CancellationToken.None) is { } problem)
{
    await Console.Error.WriteLineAsync("error: " + problem);
    return 1;
}

WebApplication app = builder.Build();
app.UsePortal();
await app.RunAsync();
return 0;

/// <summary>The entry point, visible to integration tests.</summary>
public partial class Program;

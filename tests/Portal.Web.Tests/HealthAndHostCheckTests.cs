using System.Net;
using Microsoft.AspNetCore.Hosting;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests;

/// <summary>The portal with a launcher path that does not exist, as on a host where it was never installed.</summary>
public sealed class PortalWithoutLauncher : PortalFactory
{
    public const string MissingLauncher = "/nonexistent/portal-launcher";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Portal:Launcher:LauncherPath", MissingLauncher);
    }
}

public sealed class HealthAndHostCheckTests(PortalWithoutLauncher portal) : IClassFixture<PortalWithoutLauncher>
{
    [Fact]
    public async Task Liveness_answers_anonymously()
    {
        using PortalClient client = portal.CreatePortalClient();

        using HttpResponseMessage response = await client.Http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readiness_checks_the_database_and_the_launcher_which_outside_production_only_degrades_it()
    {
        using PortalClient client = portal.CreatePortalClient();

        using HttpResponseMessage response = await client.Http.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Degraded\ndatabase: Healthy\nlauncher: Degraded\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Host_check_without_an_installed_launcher_says_what_to_do()
    {
        string name = TestNames.Unique("ops");
        await portal.CreateUserAsync(name, TestNames.Password, admin: true);
        using PortalClient admin = portal.CreatePortalClient();
        using HttpResponseMessage _ = await admin.LoginAsync(name, TestNames.Password);

        string page = await admin.PageAsync("/admin/host");

        Assert.Contains($"Could not start {PortalWithoutLauncher.MissingLauncher}", page, StringComparison.Ordinal);
        Assert.Contains("Install the launcher", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_check_is_for_admins_only()
    {
        string name = TestNames.Unique("user");
        await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient user = portal.CreatePortalClient();
        using HttpResponseMessage _ = await user.LoginAsync(name, TestNames.Password);

        using HttpResponseMessage response = await user.Http.GetAsync("/admin/host");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}

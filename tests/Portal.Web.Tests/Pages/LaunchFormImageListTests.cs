using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Tests.Infrastructure;
using Portal.Web.Tests.JobHost;

namespace Portal.Web.Tests.Pages;

/// <summary>A portal whose launcher is the recording stand-in, so a test can say which images a user has.</summary>
public sealed class ImageListPortal : PortalFactory
{
    public FakeLauncher Launcher { get; } = new(TimeProvider.System);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<ILauncher>();
            services.AddSingleton<ILauncher>(Launcher);
        });
    }
}

public sealed class LaunchFormImageListTests(ImageListPortal portal) : IClassFixture<ImageListPortal>
{
    [Fact]
    public async Task The_image_field_offers_the_images_in_the_users_own_storage_and_no_one_elses()
    {
        portal.Launcher.Images["ptest-page-erin"] = [new ImageInfo { Id = "1111", Names = ["localhost/mine:1", "127.0.0.1:5000/team/tool:2"] }];
        portal.Launcher.Images["ptest-page-frank"] = [new ImageInfo { Id = "2222", Names = ["localhost/franks:1"] }];
        string name = TestNames.Unique("erin");
        await portal.CreateUserAsync(name, TestNames.Password, linuxUser: "ptest-page-erin");
        using PortalClient erin = portal.CreatePortalClient();
        using HttpResponseMessage _ = await erin.LoginAsync(name, TestNames.Password);

        string page = await erin.PageAsync("/jobs/new");

        Assert.Contains("list=\"my-images\"", page, StringComparison.Ordinal);
        Assert.Contains("<option value=\"127.0.0.1:5000/team/tool:2\"></option>", page, StringComparison.Ordinal);
        Assert.Contains("<option value=\"localhost/mine:1\"></option>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("localhost/franks:1", page, StringComparison.Ordinal);
    }
}

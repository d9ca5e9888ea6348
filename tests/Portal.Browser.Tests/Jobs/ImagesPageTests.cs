using Microsoft.Playwright;
using Portal.Browser.Tests.Dashboard;
using Portal.Web.Tests.Jobs;

namespace Portal.Browser.Tests.Jobs;

/// <summary>The Images page against the real registry the host's policy allows: a person pulls an image into their
/// own storage, sees it listed, and removes it after confirming.</summary>
[Collection(BrowserJobHostGroup.Name)]
public sealed class ImagesPageTests(JobHostFixture host, Chromium chromium) : IClassFixture<Chromium>, IAsyncLifetime
{
    private JobHostPortal _portal = null!;

    public async Task InitializeAsync()
    {
        await RemovePulledAsync();
        _portal = new JobHostPortal(host);
        await _portal.InitializeAsync();
        await _portal.CreateUserAsync("alice", BrowserSession.Password, linuxUser: host.Alice.Name);
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_portal).DisposeAsync();
        await RemovePulledAsync();
    }

    [Fact]
    public async Task A_person_pulls_an_image_sees_it_listed_and_removes_it_after_confirming()
    {
        await using IBrowserContext context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _portal.BaseAddress.ToString() });
        IPage page = await context.NewPageAsync();
        var errors = BrowserSession.CollectErrors(page);
        await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);
        await page.GetByRole(AriaRole.Link, new() { Name = "Images", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Images");
        ILocator images = page.Locator("#images");
        await Assertions.Expect(images).ToContainTextAsync(JobHostFixture.Image);

        // A registry the server does not allow: the shared rule's message, by the field, and nothing pulled.
        await page.GetByLabel("Image reference").FillAsync("docker.io/library/busybox:latest");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pull", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#pull-reference-error"))
            .ToHaveTextAsync($"The registry 'docker.io' is not allowed here; allowed: {TestRegistry.Host}.");
        await Assertions.Expect(page.GetByLabel("Image reference")).ToHaveAttributeAsync("aria-invalid", "true");

        await page.GetByLabel("Image reference").FillAsync(TestRegistry.Busybox);
        await page.GetByRole(AriaRole.Button, new() { Name = "Pull", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("p.success")).ToHaveTextAsync($"Pulled {TestRegistry.Busybox}.", new() { Timeout = 120_000 });
        ILocator row = images.Locator("tr", new() { HasText = TestRegistry.Busybox });
        await Assertions.Expect(row).ToContainTextAsync("no job");
        await Chromium.ScreenshotAsync(page, "images-pulled");

        await row.GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
        await Assertions.Expect(page.Locator("#confirm-title")).ToHaveTextAsync($"Remove {TestRegistry.Busybox}?");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Yes, remove {TestRegistry.Busybox}" }).ClickAsync();

        await Assertions.Expect(page.Locator("p.success")).ToHaveTextAsync($"Removed {TestRegistry.Busybox}.");
        await Assertions.Expect(images).Not.ToContainTextAsync(TestRegistry.Busybox);
        await Assertions.Expect(images).ToContainTextAsync(JobHostFixture.Image);
        Assert.Empty(errors);
    }

    private async Task RemovePulledAsync() => await JobHostFixture.PodmanAsync(host.Alice, "rmi", "--ignore", TestRegistry.Busybox);
}

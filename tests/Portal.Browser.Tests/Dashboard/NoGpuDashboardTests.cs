using Microsoft.Playwright;

namespace Portal.Browser.Tests.Dashboard;

public sealed class NoGpuDashboardTests(NoGpuPortal portal, Chromium chromium) : IClassFixture<NoGpuPortal>, IClassFixture<Chromium>
{
    [Fact]
    public async Task Host_without_nvidia_smi_shows_the_empty_state()
    {
        await portal.CreateUserAsync("cpu-only", BrowserSession.Password);
        await using IBrowserContext context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 720 },
        });
        IPage page = await context.NewPageAsync();
        var errors = BrowserSession.CollectErrors(page);

        await BrowserSession.SignInAsync(page, "cpu-only", BrowserSession.Password);

        await Assertions.Expect(page.Locator(".gpu-empty")).ToContainTextAsync("No GPU detected on this host: CPU-only jobs still run.");
        await Assertions.Expect(page.Locator(".gpu-card")).ToHaveCountAsync(0);
        await Chromium.ScreenshotAsync(page, "dashboard-no-gpu");
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }
}

using System.Globalization;
using Microsoft.Playwright;

namespace Portal.Browser.Tests.Dashboard;

public sealed class DashboardTests(TwoGpuPortal portal, Chromium chromium) : IClassFixture<TwoGpuPortal>, IClassFixture<Chromium>
{
    private static readonly LocatorAssertionsToHaveTextOptions Live = new() { Timeout = 15_000 };

    [Fact]
    public async Task Dashboard_shows_a_live_card_per_gpu_with_history_and_the_stranger_process_flagged()
    {
        await portal.CreateUserAsync("gpu-viewer", BrowserSession.Password);
        await using IBrowserContext context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        IPage page = await context.NewPageAsync();
        var errors = BrowserSession.CollectErrors(page);

        await BrowserSession.SignInAsync(page, "gpu-viewer", BrowserSession.Password);

        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Welcome, gpu-viewer");
        ILocator cards = page.Locator(".gpu-card");
        await Assertions.Expect(cards).ToHaveCountAsync(2);
        await Assertions.Expect(cards.Nth(0).Locator(".gpu-name")).ToHaveTextAsync("NVIDIA H100 80GB HBM3");
        await Assertions.Expect(cards.Nth(1).Locator(".gpu-name")).ToHaveTextAsync("NVIDIA L40S");
        await Assertions.Expect(cards.Nth(0).Locator(".gpu-holder")).ToHaveTextAsync("Free");

        // Live over the circuit: the fake alternates idle and load rounds every second, so the power reading
        // changes without any reload.
        ILocator power = cards.Nth(1).Locator(".gpu-power .gpu-value");
        await Assertions.Expect(power).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+ W$"), Live);
        string before = await power.InnerTextAsync();
        await Assertions.Expect(power).Not.ToHaveTextAsync(before, Live);

        // This test process is on GPU 0 for the fake driver; no job holds the GPU, so it is flagged.
        // (The capture's other PIDs no longer exist on this host: flagged too, with "owner unknown".)
        string pid = $"PID {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";
        ILocator foreign = cards.Nth(0).Locator(".gpu-foreign", new() { HasText = pid });
        await Assertions.Expect(foreign).ToContainTextAsync("Outside any job", new() { Timeout = 15_000 });
        await Assertions.Expect(cards.Nth(1).Locator(".gpu-foreign")).ToHaveCountAsync(2);
        // The history chart draws its lines (and their legend) once a few 2-second points exist.
        await Assertions.Expect(cards.Nth(0).Locator(".gpu-history").GetByText("Memory %")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Assertions.Expect(cards.Nth(1).Locator(".gpu-history").GetByText("Memory %")).ToBeVisibleAsync(new() { Timeout = 20_000 });

        await Chromium.ScreenshotAsync(page, "dashboard");
        await page.SetViewportSizeAsync(390, 844);
        await Assertions.Expect(cards).ToHaveCountAsync(2);
        int pageWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(pageWidth <= 390, $"The dashboard scrolls sideways on a phone: {pageWidth}px wide.");
        await Chromium.ScreenshotAsync(page, "dashboard-phone");

        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public async Task Dashboard_follows_a_dark_system_theme()
    {
        await portal.CreateUserAsync("gpu-night", BrowserSession.Password);
        await using IBrowserContext context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            ColorScheme = ColorScheme.Dark,
        });
        IPage page = await context.NewPageAsync();

        await BrowserSession.SignInAsync(page, "gpu-night", BrowserSession.Password);

        await Assertions.Expect(page.Locator(".gpu-card")).ToHaveCountAsync(2);
        // The portal's CSS carries its dark palette under prefers-color-scheme: no circuit call decides it.
        await Assertions.Expect(page.Locator(".gpu-card").First).ToHaveCSSAsync("background-color", new System.Text.RegularExpressions.Regex(@"^rgb\((\d|[1-5]\d), (\d|[1-5]\d), (\d|[1-6]\d)\)$"), new() { Timeout = 15_000 });
        await Chromium.ScreenshotAsync(page, "dashboard-dark");
    }

    [Fact]
    public async Task Dashboard_is_for_signed_in_people_only()
    {
        await using IBrowserContext context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        IPage page = await context.NewPageAsync();

        await page.GotoAsync("/");

        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
        await Assertions.Expect(page.Locator(".gpu-card")).ToHaveCountAsync(0);
    }
}

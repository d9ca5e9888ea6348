using Microsoft.Playwright;

namespace Portal.Bench.Dashboard;

/// <summary>Dashboards as real Chromium pages (Debian's <c>/usr/bin/chromium</c>), one browser context signed in once.</summary>
internal sealed class PlaywrightDashboards : IDashboardClients
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly IBrowserContext _context;
    private readonly List<IPage> _pages = [];

    private PlaywrightDashboards(IPlaywright playwright, IBrowser browser, IBrowserContext context)
    {
        _playwright = playwright;
        _browser = browser;
        _context = context;
    }

    public static async Task<PlaywrightDashboards> SignInAsync(Uri address, string userName, string password)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-renderer-backgrounding",
                    "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address.ToString() });
        // Opening many pages on a small, busy box is slow: patience instead of Playwright's 30 s default.
        context.SetDefaultTimeout(180_000);
        context.SetDefaultNavigationTimeout(180_000);
        var first = await context.NewPageAsync();
        await first.GotoAsync("/account/login");
        await first.GetByLabel("User name").FillAsync(userName);
        await first.GetByLabel("Password").FillAsync(password);
        await first.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(first.Locator(".gpu-card")).ToHaveCountAsync(2);
        await first.GotoAsync("/account/change-password"); // leave the dashboard: its circuit ends with the page
        await first.CloseAsync();
        return new PlaywrightDashboards(playwright, browser, context);
    }

    public async Task OpenAsync(int count)
    {
        foreach (var batch in Enumerable.Range(0, count).Chunk(4))
        {
            _pages.AddRange(await Task.WhenAll(batch.Select(async _ =>
            {
                var page = await _context.NewPageAsync();
                await page.GotoAsync("/");
                return page;
            })));
        }
    }

    public async Task<int> CountLiveAsync() => (await Task.WhenAll(_pages.Select(IsLiveAsync))).Count(live => live);

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    // A page is live when its circuit delivers updates: the power reading (idle and load rounds alternate) changes
    // within 30 s. A page that is not live is counted, not hidden.
    private static async Task<bool> IsLiveAsync(IPage page)
    {
        var power = page.Locator(".gpu-card .gpu-power .gpu-value").Last;
        try
        {
            await Assertions.Expect(page.Locator(".gpu-card")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
            var before = await power.InnerTextAsync();
            await Assertions.Expect(power).Not.ToHaveTextAsync(before, new() { Timeout = 30_000 });
            return true;
        }
        catch (PlaywrightException)
        {
            return false;
        }
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Browser.Tests.Admin;
using Portal.Browser.Tests.Dashboard;
using Portal.Core.Quotas;
using Portal.Data.Entities;
using Portal.Data.Quotas;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Browser.Tests;

/// <summary>
/// Every page, as an admin who also runs jobs meets it, at desktop and phone width in light and dark: each loads
/// without a script or console error, has its own title and one heading, and never scrolls sideways on a phone. The
/// screenshots (<c>tour-{width}-{scheme}-{page}.png</c> beside the test assembly) are the pages' record for review.
/// </summary>
public sealed class PageTourTests(LedgerGpuPortal portal, Chromium chromium) : IClassFixture<LedgerGpuPortal>, IClassFixture<Chromium>
{
    private const int PhoneWidth = 390;

    [Theory]
    [InlineData(1280, 900, ColorScheme.Light)]
    [InlineData(1280, 900, ColorScheme.Dark)]
    [InlineData(PhoneWidth, 844, ColorScheme.Light)]
    [InlineData(PhoneWidth, 844, ColorScheme.Dark)]
    public async Task Every_page_loads_cleanly_with_a_title_and_one_heading_and_fits_the_width(int width, int height, ColorScheme scheme)
    {
        string variant = $"{(width == PhoneWidth ? "phone" : "desktop")}-{scheme.ToString().ToLowerInvariant()}";
        string admin = $"tour-{Guid.NewGuid().ToString("N")[..8]}";
        IReadOnlyList<(string Slug, string Path)> pages = await ArrangePagesAsync(admin);
        IBrowserContext context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = scheme,
        });
        try
        {
            IPage page = await context.NewPageAsync();
            List<string> errors = BrowserSession.CollectErrors(page);
            var problems = new List<string>();
            await VisitAsync(page, $"{variant}-sign-in", "/account/login", width, problems);
            await BrowserSession.SignInAsync(page, admin, BrowserSession.Password);
            await Assertions.Expect(page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));

            foreach ((string slug, string path) in pages)
            {
                await VisitAsync(page, $"{variant}-{slug}", path, width, problems);
            }

            Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
            // The browser reports the 404 page's own status as a failed load; nothing else may fail.
            errors.RemoveAll(error => error.Contains("/no-such-page", StringComparison.Ordinal));
            Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
        }
        finally
        {
            await context.DisposeAsync();
        }
    }

    /// <summary>An admin bound to a throwaway Linux account, with a queued job and a quota group, so the pages that
    /// show a job or a group have one.</summary>
    private async Task<IReadOnlyList<(string Slug, string Path)>> ArrangePagesAsync(string admin)
    {
        PortalUser user = await portal.CreateUserAsync(admin, BrowserSession.Password, admin: true, linuxUser: $"ptest-tour-{admin[5..]}");
        // The job stays queued (the admin's own limit is 0 concurrent jobs), so its page and the lists have a job in
        // every variant. It asks for no GPU: the fake box's GPUs reach the ledger through the portal's own inventory
        // sync, which may not have run yet, and a GPU job would be refused at submit until it has.
        long job = await portal.QueuedJobAsync(user.Id, 0, "tour-job");
        int group = await portal.Services.GetRequiredService<QuotaStore>().CreateGroupAsync($"{admin}-lab", new QuotaPolicy())
            ?? throw new InvalidOperationException("The quota group was not created.");
        return
        [
            ("home", "/"),
            ("my-jobs", "/jobs"),
            ("job", $"/jobs/{job}"),
            ("launch", "/jobs/new"),
            ("new-session", "/sessions/new"),
            ("new-app", "/apps/new"),
            ("security", "/account/security"),
            ("tokens", "/account/tokens"),
            ("images", "/images"),
            ("admin-users", "/admin/users"),
            ("admin-quotas", "/admin/quotas"),
            ("admin-quota-group", $"/admin/quotas/groups/{group}"),
            ("admin-quota-user", $"/admin/quotas/user?id={user.Id}"),
            ("admin-gpus", "/admin/gpus"),
            ("admin-jobs", "/admin/jobs"),
            ("admin-usage", "/admin/usage"),
            ("admin-audit", "/admin/audit"),
            ("admin-host", "/admin/host"),
            ("not-found", "/no-such-page"),
        ];
    }

    /// <summary>Visits one page and adds what is wrong with it to <paramref name="problems"/>, so one run names
    /// every page that falls short, not only the first.</summary>
    private static async Task VisitAsync(IPage page, string name, string path, int width, List<string> problems)
    {
        IResponse? response = await page.GotoAsync(path);
        int expected = path == "/no-such-page" ? 404 : 200;
        if (response?.Status != expected)
        {
            problems.Add($"{path} answered {response?.Status}, not {expected}.");
        }

        // Interactive parts render after the first paint; the heading is in the first one.
        await page.Locator("h1").First.WaitForAsync();
        int headings = await page.Locator("h1").CountAsync();
        if (headings != 1)
        {
            problems.Add($"{path} has {headings} h1 headings.");
        }

        string title = await page.TitleAsync();
        if (!System.Text.RegularExpressions.Regex.IsMatch(title, @"^\S.* · GPU box portal$"))
        {
            problems.Add($"{path} has the title '{title}', which does not name the page.");
        }

        if (width == PhoneWidth)
        {
            int pageWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            if (pageWidth > width)
            {
                problems.Add($"{path} scrolls sideways at {width}px: {pageWidth}px wide.");
            }
        }

        await Chromium.ScreenshotAsync(page, $"tour-{name}");
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Core.Gpus;
using Portal.Data.Entities;
using Portal.Data.Jobs;
using Portal.Browser.Tests.Dashboard;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Browser.Tests.Admin;

public sealed class AdminPagesTests(LedgerGpuPortal portal, Chromium chromium) : IClassFixture<LedgerGpuPortal>, IClassFixture<Chromium>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Soon = new() { Timeout = 15_000 };

    [Fact]
    public async Task Admin_sets_the_default_quota_and_sees_it_saved()
    {
        await portal.CreateUserAsync("quota-boss", BrowserSession.Password, admin: true);
        IPage page = await NewPageAsync(1280, 900);
        var errors = BrowserSession.CollectErrors(page);
        await BrowserSession.SignInAsync(page, "quota-boss", BrowserSession.Password);

        await page.GetByRole(AriaRole.Link, new() { Name = "Quotas" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Quotas");
        ILocator gpus = page.Locator("#Default-MaxConcurrentGpus");
        await gpus.FillAsync("-2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save default quota" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Concurrent GPUs must be a whole number from 0 to 100000.")).ToBeVisibleAsync();

        await page.Locator("#Default-MaxConcurrentGpus").FillAsync("3");
        await page.Locator("#Default-WindowDays").FillAsync("14");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save default quota" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("The default quota is saved.");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#Default-MaxConcurrentGpus")).ToHaveValueAsync("3");
        await Assertions.Expect(page.Locator("#Default-WindowDays")).ToHaveValueAsync("14");
        await Chromium.ScreenshotAsync(page, "admin-quotas");
        await page.SetViewportSizeAsync(390, 844);
        await AssertNoSidewaysScrollAsync(page, 390);
        await Chromium.ScreenshotAsync(page, "admin-quotas-phone");
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public async Task Dashboard_and_admin_pages_show_the_ledgers_holders_and_a_drain()
    {
        // The box's GPUs in the inventory, and a running job of Hana's holding the H100 in the ledger.
        await portal.Services.GetRequiredService<GpuStore>().UpsertGpusAsync(
            portal.Box.Uuids.Select((uuid, i) => new GpuDevice(i, uuid, i == 0 ? "NVIDIA H100 80GB HBM3" : "NVIDIA L40S", 81920, null, $"/dev/nvidia{i}", [])));
        PortalUser hana = await portal.CreateUserAsync("hana", BrowserSession.Password, linuxUser: "ptest-browser-hana");
        long job = await portal.RunningJobAsync(hana.Id, portal.Box.Uuids[0], name: "llm-finetune");
        await portal.CreateUserAsync("gpu-boss", BrowserSession.Password, admin: true);

        IPage user = await NewPageAsync(1280, 900);
        var errors = BrowserSession.CollectErrors(user);
        await BrowserSession.SignInAsync(user, "hana", BrowserSession.Password);
        ILocator cards = user.Locator(".gpu-card");
        await Assertions.Expect(cards).ToHaveCountAsync(2);
        await Assertions.Expect(cards.Nth(0).Locator(".gpu-holder")).ToHaveTextAsync($"Held by hana · job {job} (llm-finetune)", new() { Timeout = 15_000 });
        await Assertions.Expect(cards.Nth(1).Locator(".gpu-holder")).ToHaveTextAsync("Free");
        // This test process runs on the H100 without being Hana's job or account.
        string pid = $"PID {Environment.ProcessId}";
        await Assertions.Expect(cards.Nth(0).Locator(".gpu-foreign", new() { HasText = pid }).Locator(".gpu-flag"))
            .ToHaveTextAsync("Not the holder's job", new() { Timeout = 15_000 });
        await Assertions.Expect(user.Locator(".quota-bars")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(user, "dashboard-holders");

        IPage admin = await NewPageAsync(1280, 900);
        await BrowserSession.SignInAsync(admin, "gpu-boss", BrowserSession.Password);
        await admin.GotoAsync("/admin/gpus");
        ILocator heldRow = admin.Locator($"tr[data-gpu-uuid='{portal.Box.Uuids[0]}']");
        await Assertions.Expect(heldRow.Locator(".gpu-holder-cell")).ToContainTextAsync($"hana (ptest-browser-hana) · job {job} llm-finetune");
        ILocator l40s = admin.Locator($"tr[data-gpu-uuid='{portal.Box.Uuids[1]}']");
        await l40s.GetByRole(AriaRole.Link, new() { Name = "Drain…" }).ClickAsync();
        await admin.GetByLabel("Reason (shown on the dashboard)").FillAsync("fan replacement");
        await admin.GetByLabel("Yes, drain this GPU").CheckAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Drain GPU" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status)).ToContainTextAsync("is drained");
        await Assertions.Expect(l40s.Locator(".gpu-state-cell")).ToContainTextAsync("drained");
        await Chromium.ScreenshotAsync(admin, "admin-gpus");

        // The dashboard, live, marks the drain within a refresh.
        await Assertions.Expect(cards.Nth(1).Locator(".gpu-drained")).ToBeVisibleAsync(Soon);
        await Assertions.Expect(cards.Nth(1).Locator(".gpu-drain-note")).ToContainTextAsync("fan replacement");

        await admin.GotoAsync("/admin/jobs");
        ILocator row = admin.Locator($"tr[data-job-id='{job}']");
        await Assertions.Expect(row).ToContainTextAsync("Running");
        await Chromium.ScreenshotAsync(admin, "admin-jobs");
        await row.GetByRole(AriaRole.Link, new() { Name = "Stop…" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Heading, new() { Name = $"Stop job #{job} (llm-finetune) of ptest-browser-hana?" })).ToBeVisibleAsync();
        await admin.SetViewportSizeAsync(390, 844);
        await AssertNoSidewaysScrollAsync(admin, 390);
        await Chromium.ScreenshotAsync(admin, "admin-jobs-phone");
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    private async Task<IPage> NewPageAsync(int width, int height)
    {
        IBrowserContext context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        return await context.NewPageAsync();
    }

    private static async Task AssertNoSidewaysScrollAsync(IPage page, int width)
    {
        int pageWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(pageWidth <= width, $"{page.Url} scrolls sideways at {width}px: {pageWidth}px wide.");
    }
}

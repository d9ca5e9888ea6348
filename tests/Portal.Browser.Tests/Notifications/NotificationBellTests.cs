using Microsoft.Playwright;
using Portal.Browser.Tests.Dashboard;
using Portal.Browser.Tests.Jobs;
using Portal.Web.Tests.Jobs;

namespace Portal.Browser.Tests.Notifications;

/// <summary>
/// The bell in the top bar, end to end: a real job of Alice's (rootless podman as her own account) starts and fails,
/// and the bell on the page she is reading counts both without a reload; the list says what happened; marking all read
/// empties the count; Bob's bell and list show nothing of hers.
/// </summary>
[Collection(BrowserJobHostGroup.Name)]
public sealed class NotificationBellTests(JobHostFixture host, Chromium chromium) : IClassFixture<Chromium>, IAsyncLifetime
{
    private JobHostPortal _portal = null!;

    public async Task InitializeAsync()
    {
        await JobHostFixture.RemoveAllContainersAsync(host.Alice);
        _portal = new JobHostPortal(host);
        await _portal.InitializeAsync();
        await _portal.CreateUserAsync("alice", BrowserSession.Password, linuxUser: host.Alice.Name);
        await _portal.CreateUserAsync("bob", BrowserSession.Password, linuxUser: host.Bob.Name);
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_portal).DisposeAsync();
        await JobHostFixture.RemoveAllContainersAsync(host.Alice);
    }

    [Fact]
    public async Task The_bell_counts_a_jobs_start_and_failure_live_lists_them_and_marking_read_clears_it_and_bob_sees_none()
    {
        await using IBrowserContext aliceContext = await NewContextAsync();
        IPage page = await aliceContext.NewPageAsync();
        var errors = BrowserSession.CollectErrors(page);
        await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);
        ILocator bell = page.Locator("a.bell");
        await Assertions.Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications: none unread");

        await page.GotoAsync("/jobs/new");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("bell");
        await page.GetByLabel("Image").FillAsync(JobHostFixture.Image);
        await page.GetByLabel("Command, one argument per line").FillAsync("sh\n-c\necho started; sleep 2; exit 3");
        await page.GetByLabel("GPUs", new() { Exact = true }).FillAsync("0");
        await page.GetByLabel("Memory (MiB)").FillAsync("256");
        await page.GetByLabel("Walltime (minutes)").FillAsync("10");
        await page.GetByRole(AriaRole.Button, new() { Name = "Launch" }).ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/jobs/[0-9]+$"));
        string job = new Uri(page.Url).AbsolutePath;

        // The bell on this page counts both events as they happen: the page is not reloaded.
        await page.EvaluateAsync("() => { window.__samePage = true; }");
        await Assertions.Expect(page.Locator(".job-state")).ToHaveTextAsync("Failed", new() { Timeout = 60_000 });
        await Assertions.Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications: 2 unread", new() { Timeout = 30_000 });
        await Assertions.Expect(bell.Locator(".bell-count")).ToHaveTextAsync("2");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__samePage === true"), "the page was reloaded");
        await Chromium.ScreenshotAsync(page, "notification-bell");

        await bell.ClickAsync();
        await page.WaitForURLAsync("**/notifications");
        ILocator rows = page.Locator("tr.notification-unread");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("(bell) failed with exit code 3.");
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("See the job's log");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("(bell) is running.");
        await Assertions.Expect(rows.Nth(0).GetByRole(AriaRole.Link)).ToHaveAttributeAsync("href", job);
        await Chromium.ScreenshotAsync(page, "notifications");

        await page.GetByRole(AriaRole.Button, new() { Name = "Mark all read" }).ClickAsync();
        await Assertions.Expect(page.Locator("tr.notification-unread")).ToHaveCountAsync(0);
        await Assertions.Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications: none unread", new() { Timeout = 30_000 });

        // Bob shares the box, not Alice's notifications.
        await using IBrowserContext bobContext = await NewContextAsync();
        IPage bob = await bobContext.NewPageAsync();
        await BrowserSession.SignInAsync(bob, "bob", BrowserSession.Password);
        await Assertions.Expect(bob.Locator("a.bell")).ToHaveAttributeAsync("aria-label", "Notifications: none unread");
        await bob.GotoAsync("/notifications");
        await Assertions.Expect(bob.Locator(".empty")).ToHaveTextAsync("You have no notifications.");
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    private Task<IBrowserContext> NewContextAsync() =>
        chromium.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _portal.BaseAddress.ToString() });
}

using Microsoft.Playwright;
using Portal.Browser.Tests.Dashboard;
using Portal.Web.Tests.Jobs;

namespace Portal.Browser.Tests.Jobs;

/// <summary>What a person does with an app, end to end: a real pod of two services as their own Linux account.</summary>
[Collection(BrowserJobHostGroup.Name)]
public sealed class AppFlowTests(JobHostFixture host, Chromium chromium) : IClassFixture<Chromium>, IAsyncLifetime
{
    private static readonly LocatorAssertionsToContainTextOptions Live = new() { Timeout = 60_000 };

    private static readonly string Compose = $$"""
        services:
          web:
            image: {{JobHostFixture.Image}}
            command: ["sh", "-c", "mkdir -p /tmp/www && echo hello-from-web > /tmp/www/index.html && echo web-ready && exec httpd -f -p 8080 -h /tmp/www"]
            healthcheck:
              test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
              interval: 1s
              retries: 30
          client:
            image: {{JobHostFixture.Image}}
            command: ["sh", "-c", "while true; do wget -q -O - http://web:8080/; sleep 1; done"]
            depends_on:
              web: {condition: service_healthy}
        """;

    private JobHostPortal _portal = null!;

    public async Task InitializeAsync()
    {
        await JobHostFixture.RemoveAllContainersAsync(host.Alice);
        _portal = new JobHostPortal(host);
        await _portal.InitializeAsync();
        await _portal.CreateUserAsync("alice", BrowserSession.Password, linuxUser: host.Alice.Name);
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_portal).DisposeAsync();
        await JobHostFixture.RemoveAllContainersAsync(host.Alice);
    }

    [Fact]
    public async Task User_pastes_a_compose_file_reviews_it_starts_it_sees_both_logs_and_stops_it()
    {
        await using IBrowserContext context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        IPage page = await context.NewPageAsync();
        var errors = BrowserSession.CollectErrors(page);
        await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);

        await page.GetByRole(AriaRole.Link, new() { Name = "New app", Exact = true }).ClickAsync();
        await page.GetByLabel("Compose file or Pod").FillAsync(Compose);
        await page.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();

        // What will run, in start order, before anything starts.
        ILocator review = page.Locator(".app-review");
        await Assertions.Expect(review).ToContainTextAsync("2 services");
        await Assertions.Expect(review.Locator("tbody tr").Nth(0)).ToContainTextAsync("web");
        await Assertions.Expect(review.Locator("tbody tr").Nth(1)).ToContainTextAsync("web (healthy)");
        await Chromium.ScreenshotAsync(page, "app-review");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start app" }).ClickAsync();

        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/jobs/[0-9]+$"));
        await Assertions.Expect(page.Locator("section[data-service='client'] .log-lines")).ToContainTextAsync("hello-from-web", Live);
        await Assertions.Expect(page.Locator("section[data-service='web'] .log-lines")).ToContainTextAsync("web-ready", Live);
        await Assertions.Expect(page.Locator("tr[data-service='web'] .service-state")).ToHaveTextAsync("running", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("tr[data-service='client'] .service-state")).ToHaveTextAsync("running", new() { Timeout = 30_000 });
        await Chromium.ScreenshotAsync(page, "app-running");

        await page.GetByLabel(new System.Text.RegularExpressions.Regex("Yes, (stop|cancel) this job")).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^(Stop app|Cancel job)$") }).ClickAsync();
        await Assertions.Expect(page.Locator(".job-state")).ToHaveTextAsync("Cancelled", new() { Timeout = 30_000 });
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }
}

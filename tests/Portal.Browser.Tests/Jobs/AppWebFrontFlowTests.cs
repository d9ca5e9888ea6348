using System.Globalization;
using Microsoft.Playwright;
using Portal.Browser.Tests.Dashboard;
using Portal.Web.Tests.Jobs;

namespace Portal.Browser.Tests.Jobs;

/// <summary>
/// An app's web front end to end: a real pod of two services as the owner's Linux account, the front behind the
/// launcher's sockbridge on the job's session socket, the portal's proxy at /s/&lt;id&gt;/, and Chromium.
/// </summary>
[Collection(BrowserJobHostGroup.Name)]
public sealed class AppWebFrontFlowTests(JobHostFixture host, Chromium chromium) : IClassFixture<Chromium>, IAsyncLifetime
{
    // The front serves a file it writes itself; the worker is the app's second service (and proves the name resolves).
    private static readonly string Compose = $$"""
        services:
          web:
            image: {{JobHostFixture.Image}}
            command: ["sh", "-c", "mkdir -p /tmp/www && echo hello-from-the-front > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /tmp/www"]
            x-portal-web: {port: 8080}
          worker:
            image: {{JobHostFixture.Image}}
            command: ["sh", "-c", "while true; do wget -q -O - http://web:8080/; sleep 2; done"]
            depends_on: [web]
        """;

    private JobHostPortal _portal = null!;

    public async Task InitializeAsync()
    {
        foreach (var user in new[] { host.Alice, host.Bob })
        {
            await JobHostFixture.RemoveAllContainersAsync(user);
        }

        _portal = new JobHostPortal(host);
        await _portal.InitializeAsync();
        await _portal.CreateUserAsync("alice", BrowserSession.Password, linuxUser: host.Alice.Name);
        await _portal.CreateUserAsync("bob", BrowserSession.Password, linuxUser: host.Bob.Name);
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_portal).DisposeAsync();
        foreach (var user in new[] { host.Alice, host.Bob })
        {
            await JobHostFixture.RemoveAllContainersAsync(user);
        }
    }

    [Fact]
    public async Task The_owner_opens_the_apps_web_front_through_the_portal_nobody_else_gets_in_and_nothing_answers_after_stop()
    {
        await using IBrowserContext alice = await NewContextAsync();
        IPage page = await alice.NewPageAsync();
        var errors = BrowserSession.CollectErrors(page);
        await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);
        await page.GetByRole(AriaRole.Link, new() { Name = "New app", Exact = true }).ClickAsync();
        await page.GetByLabel("Compose file or Pod").FillAsync(Compose);
        await page.GetByRole(AriaRole.Button, new() { Name = "Review" }).ClickAsync();
        await Assertions.Expect(page.Locator(".app-review")).ToContainTextAsync("2 services");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start app" }).ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/jobs/[0-9]+$"));
        long id = long.Parse(new Uri(page.Url).AbsolutePath.Split('/')[^1], CultureInfo.InvariantCulture);
        string front = $"/s/{id}/";
        string folder = Path.Combine(JobHostFixture.SessionsDir, id.ToString(CultureInfo.InvariantCulture));

        // The page's door to the front, once it answers; the front gets the path after /s/<id>.
        ILocator open = page.GetByTestId("open-session");
        await Assertions.Expect(open).ToBeVisibleAsync(new() { Timeout = 120_000 });
        Assert.Equal(front, await open.GetAttributeAsync("href"));
        await Chromium.ScreenshotAsync(page, "app-web-front-ready");
        await page.GotoAsync(front);
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync("hello-from-the-front");

        // Another signed-in user gets 404, as for a job that does not exist.
        await using (IBrowserContext bobContext = await NewContextAsync())
        {
            IPage bob = await bobContext.NewPageAsync();
            await BrowserSession.SignInAsync(bob, "bob", BrowserSession.Password);
            IAPIResponse denied = await bob.APIRequest.GetAsync(front);
            Assert.Equal(404, denied.Status);
            Assert.DoesNotContain("hello-from-the-front", await denied.TextAsync(), StringComparison.Ordinal);
        }

        // Stop: nothing answers at the front any more, and its folder is gone.
        await page.GotoAsync("/jobs/" + id.ToString(CultureInfo.InvariantCulture));
        await page.GetByLabel("Yes, stop this job").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop app" }).ClickAsync();
        await Assertions.Expect(page.Locator(".job-state")).ToHaveTextAsync("Cancelled", new() { Timeout = 60_000 });
        await Eventually.UntilAsync(() => Task.FromResult(Path.Exists(folder)), exists => !exists, TimeSpan.FromSeconds(60), "the web front's folder to be removed");
        IAPIResponse after = await page.APIRequest.GetAsync(front);
        Assert.Equal(404, after.Status);
        Assert.DoesNotContain("hello-from-the-front", await after.TextAsync(), StringComparison.Ordinal);
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    private Task<IBrowserContext> NewContextAsync() => chromium.Browser.NewContextAsync(new BrowserNewContextOptions
    {
        BaseURL = _portal.BaseAddress.ToString(),
        ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
    });
}

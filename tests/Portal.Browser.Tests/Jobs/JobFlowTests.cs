using System.Net;
using Microsoft.Playwright;
using Portal.Browser.Tests.Dashboard;
using Portal.Web.Tests.Jobs;

namespace Portal.Browser.Tests.Jobs;

/// <summary>What a person does with a job, end to end: a real container as their own Linux account.</summary>
[Collection(BrowserJobHostGroup.Name)]
public sealed class JobFlowTests(JobHostFixture host, Chromium chromium) : IClassFixture<Chromium>, IAsyncLifetime
{
    private static readonly LocatorAssertionsToContainTextOptions Live = new() { Timeout = 30_000 };

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
    public async Task User_launches_a_job_watches_its_log_live_stops_it_and_another_user_cannot_open_it()
    {
        await using IBrowserContext aliceContext = await NewContextAsync();
        IPage page = await aliceContext.NewPageAsync();
        var errors = BrowserSession.CollectErrors(page);
        await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);

        await page.GetByRole(AriaRole.Link, new() { Name = "Launch", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator(".launch-preview")).ToContainTextAsync("No GPU: starts now");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("counter");
        await page.GetByLabel("Image").FillAsync(JobHostFixture.Image);
        await page.GetByLabel("Command, one argument per line").FillAsync("sh\n-c\ni=0; while [ $i -lt 900 ]; do i=$((i+1)); echo line-$i; sleep 0.3; done");
        await page.GetByLabel("GPUs", new() { Exact = true }).FillAsync("0");
        await page.GetByLabel("Memory (MiB)").FillAsync("256");
        await page.GetByLabel("Walltime (minutes)").FillAsync("10");
        await Chromium.ScreenshotAsync(page, "launch");
        await page.GetByRole(AriaRole.Button, new() { Name = "Launch" }).ClickAsync();

        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/jobs/[0-9]+$"));
        string path = new Uri(page.Url).AbsolutePath;
        ILocator log = page.Locator(".log-lines");
        // Lines appear while the job writes them, without reloading the page.
        await Assertions.Expect(log).ToContainTextAsync("line-2", Live);
        await Assertions.Expect(log).ToContainTextAsync("line-8", Live);
        await Assertions.Expect(page.Locator(".log-status")).ToContainTextAsync("Following");
        // The view follows the newest line.
        await Assertions.Expect(log).ToContainTextAsync("line-25", Live);
        bool atEnd = await log.EvaluateAsync<bool>("e => e.scrollHeight <= e.clientHeight || e.scrollTop + e.clientHeight >= e.scrollHeight - 40");
        Assert.True(atEnd, "the log view is not scrolled to its newest line");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Assertions.Expect(page.Locator("button.log-pause")).ToContainTextAsync("new)", Live);
        await page.Locator("button.log-pause").ClickAsync();
        await Chromium.ScreenshotAsync(page, "job-detail-log");

        // Another user guessing the id sees nothing of it.
        await using (IBrowserContext bobContext = await NewContextAsync())
        {
            IPage bob = await bobContext.NewPageAsync();
            await BrowserSession.SignInAsync(bob, "bob", BrowserSession.Password);
            await Assertions.Expect(bob.Locator("h1")).ToHaveTextAsync("Welcome, bob");
            // Asked with Bob's session cookie (Chromium itself refuses to show a 404 navigation without a body).
            IAPIResponse denied = await bob.APIRequest.GetAsync(path);
            Assert.Equal((int)HttpStatusCode.NotFound, denied.Status);
            Assert.DoesNotContain("counter", await denied.TextAsync(), StringComparison.Ordinal);
            IAPIResponse download = await bob.APIRequest.GetAsync(path + "/log");
            Assert.Equal((int)HttpStatusCode.NotFound, download.Status);
            Assert.DoesNotContain("line-1", await download.TextAsync(), StringComparison.Ordinal);
        }

        // The page was rendered while the job was still queued, so its button may still say "Cancel": either ends it.
        await page.GetByLabel(new System.Text.RegularExpressions.Regex("Yes, (stop|cancel) this job")).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^(Stop|Cancel) job$") }).ClickAsync();
        // Feedback at once: the container gets its grace period (a shell as PID 1 ignores TERM), so the stop takes seconds.
        await Assertions.Expect(page.Locator(".job-stopping")).ToHaveTextAsync("Stopping...");
        await page.EvaluateAsync("() => { window.__samePage = true; }");
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "The job is cancelled." })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        // The final state, and no form left to press, without a reload.
        await Assertions.Expect(page.Locator(".job-stop")).ToHaveCountAsync(0);
        Assert.True(await page.EvaluateAsync<bool>("() => window.__samePage === true"), "the page was reloaded");
        await Assertions.Expect(page.Locator(".job-state")).ToHaveTextAsync("Cancelled");
        await Assertions.Expect(page.Locator(".log-status")).ToContainTextAsync("ended", Live);

        IAPIResponse file = await page.APIRequest.GetAsync(path + "/log");
        Assert.Equal(200, file.Status);
        Assert.StartsWith("line-1\nline-2\n", await file.TextAsync(), StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Link, new() { Name = "My jobs" }).ClickAsync();
        await Assertions.Expect(page.Locator($"a[href='{path}']")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(page, "my-jobs");
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public async Task The_job_page_shows_the_state_and_exit_code_change_without_a_reload()
    {
        await using IBrowserContext aliceContext = await NewContextAsync();
        IPage page = await aliceContext.NewPageAsync();
        var errors = BrowserSession.CollectErrors(page);
        await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);

        await page.GotoAsync("/jobs/new");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("short");
        await page.GetByLabel("Image").FillAsync(JobHostFixture.Image);
        await page.GetByLabel("Command, one argument per line").FillAsync("sh\n-c\necho started; sleep 4; exit 3");
        await page.GetByLabel("GPUs", new() { Exact = true }).FillAsync("0");
        await page.GetByLabel("Memory (MiB)").FillAsync("256");
        await page.GetByLabel("Walltime (minutes)").FillAsync("10");
        await page.GetByRole(AriaRole.Button, new() { Name = "Launch" }).ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/jobs/[0-9]+$"));

        // Marks the document: a reload or a navigation would lose the mark.
        await page.EvaluateAsync("() => { window.__samePage = true; }");
        await Assertions.Expect(page.Locator(".log-lines")).ToContainTextAsync("started", Live);
        await Assertions.Expect(page.Locator(".job-state")).ToHaveTextAsync("Failed", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator(".job-exit-code")).ToHaveTextAsync("3");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__samePage === true"), "the page was reloaded");
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public async Task A_job_whose_image_is_missing_says_so_with_a_hint_at_the_top_of_its_page()
    {
        await using IBrowserContext aliceContext = await NewContextAsync();
        IPage page = await aliceContext.NewPageAsync();
        await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);

        await page.GotoAsync("/jobs/new");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("no-image");
        await page.GetByLabel("Image").FillAsync("localhost/no-such-image:latest");
        await page.GetByLabel("Command, one argument per line").FillAsync("true");
        await page.GetByLabel("GPUs", new() { Exact = true }).FillAsync("0");
        await page.GetByLabel("Memory (MiB)").FillAsync("256");
        await page.GetByLabel("Walltime (minutes)").FillAsync("10");
        await page.GetByRole(AriaRole.Button, new() { Name = "Launch" }).ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/jobs/[0-9]+$"));

        // Without a reload: the reason appears where the page starts once podman has refused.
        await Assertions.Expect(page.Locator(".job-failure-summary")).ToHaveTextAsync("The image is not in your account's image storage.", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator(".failure a[href='/jobs/new']")).ToBeVisibleAsync();
        await page.Locator(".job-failure-raw summary").ClickAsync();
        await Assertions.Expect(page.Locator(".job-failure-raw pre")).ToContainTextAsync("no-such-image");
        await Assertions.Expect(page.Locator(".job-state")).ToHaveTextAsync("Failed");
        await Chromium.ScreenshotAsync(page, "job-failed-image");
    }

    private Task<IBrowserContext> NewContextAsync() =>
        chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
}

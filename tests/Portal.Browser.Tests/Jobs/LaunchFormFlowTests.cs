using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.Browser.Tests.Dashboard;
using Portal.Web.Tests.Jobs;

namespace Portal.Browser.Tests.Jobs;

/// <summary>The launch form as a person meets it: a bad post, its error summary, the fix, and "Run again".</summary>
[Collection(BrowserJobHostGroup.Name)]
public sealed partial class LaunchFormFlowTests(JobHostFixture host, Chromium chromium) : IClassFixture<Chromium>, IAsyncLifetime
{
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
    public async Task A_bad_post_focuses_a_summary_of_every_error_the_fixed_form_launches_and_Run_again_fills_in_every_field()
    {
        await using IBrowserContext context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        IPage page = await context.NewPageAsync();
        var errors = BrowserSession.CollectErrors(page);
        await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);
        await page.GotoAsync("/jobs/new");
        ILocator name = page.GetByLabel("Name", new() { Exact = true });
        ILocator environment = page.GetByLabel("Environment, NAME=value per line");

        // Three things wrong at once: no name, an image that looks like an option, an unreadable environment line.
        await name.FillAsync("");
        await page.GetByLabel("Image").FillAsync("-bad");
        await page.GetByLabel("Command, one argument per line").FillAsync("sh\n-c\necho run-again-ok");
        await environment.FillAsync("NOEQUALS");
        await page.GetByLabel("Memory (MiB)").FillAsync("256");
        await page.GetByRole(AriaRole.Button, new() { Name = "Launch" }).ClickAsync();

        ILocator summary = page.Locator(".error-summary");
        await Assertions.Expect(summary).ToBeFocusedAsync();
        await Assertions.Expect(summary.GetByRole(AriaRole.Heading)).ToHaveTextAsync(ProblemCount());
        await Assertions.Expect(name).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(environment).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.GetByLabel("CPUs")).Not.ToHaveAttributeAsync("aria-invalid", "true");
        await Chromium.ScreenshotAsync(page, "launch-errors");
        await summary.GetByRole(AriaRole.Link, new() { Name = "A name is required." }).ClickAsync();
        await Assertions.Expect(name).ToBeFocusedAsync();

        await name.FillAsync("again");
        await page.GetByLabel("Image").FillAsync(JobHostFixture.Image);
        await environment.FillAsync("GREETING=hello there");
        await page.GetByLabel("Walltime (minutes)").FillAsync("9");
        await page.GetByRole(AriaRole.Button, new() { Name = "Launch" }).ClickAsync();
        await page.WaitForURLAsync(JobPath());

        await page.GetByRole(AriaRole.Link, new() { Name = "Run again" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/jobs/new\\?from=[0-9]+$"));
        await Assertions.Expect(name).ToHaveValueAsync("again");
        await Assertions.Expect(page.GetByLabel("Image")).ToHaveValueAsync(JobHostFixture.Image);
        await Assertions.Expect(page.GetByLabel("Command, one argument per line")).ToHaveValueAsync("sh\n-c\necho run-again-ok");
        await Assertions.Expect(environment).ToHaveValueAsync("GREETING=hello there");
        await Assertions.Expect(page.GetByLabel("Memory (MiB)")).ToHaveValueAsync("256");
        await Assertions.Expect(page.GetByLabel("Walltime (minutes)")).ToHaveValueAsync("9");
        await Assertions.Expect(page.Locator(".error-summary")).ToHaveCountAsync(0);
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public async Task Save_as_preset_then_the_picker_fills_the_form_which_launches_and_the_preset_can_be_deleted()
    {
        await using IBrowserContext context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        IPage page = await context.NewPageAsync();
        var errors = BrowserSession.CollectErrors(page);
        await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);
        await page.GotoAsync("/jobs/new");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("from-preset");
        await page.GetByLabel("Image").FillAsync(JobHostFixture.Image);
        await page.GetByLabel("Command, one argument per line").FillAsync("sh\n-c\necho preset-ok");
        await page.GetByLabel("Memory (MiB)").FillAsync("256");
        await page.GetByLabel("Walltime (minutes)").FillAsync("4");

        await page.GetByLabel("Preset name").FillAsync("quick echo");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save as preset" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/jobs/new\\?preset=quick%20echo$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "filled from your preset" })).ToBeVisibleAsync();

        // A fresh form, then the picker.
        await page.GotoAsync("/jobs/new");
        await page.GetByLabel("Preset", new() { Exact = true }).SelectOptionAsync("quick echo");
        await page.GetByRole(AriaRole.Button, new() { Name = "Fill the form" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/jobs/new\\?preset=quick(\\+|%20)echo$"));
        await Assertions.Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("from-preset");
        await Assertions.Expect(page.GetByLabel("Command, one argument per line")).ToHaveValueAsync("sh\n-c\necho preset-ok");
        await Assertions.Expect(page.GetByLabel("Walltime (minutes)")).ToHaveValueAsync("4");
        await Chromium.ScreenshotAsync(page, "launch-preset");
        await page.GetByRole(AriaRole.Button, new() { Name = "Launch" }).ClickAsync();
        await page.WaitForURLAsync(JobPath());

        await page.GotoAsync("/jobs/new?preset=quick%20echo");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete preset" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/jobs/new\\?deleted=quick%20echo$"));
        await Assertions.Expect(page.GetByLabel("Preset", new() { Exact = true })).ToHaveCountAsync(0);
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [GeneratedRegex("^There are [0-9]+ problems$")]
    private static partial Regex ProblemCount();

    [GeneratedRegex("/jobs/[0-9]+$")]
    private static partial Regex JobPath();
}

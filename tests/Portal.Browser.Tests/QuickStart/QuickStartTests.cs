using Microsoft.Playwright;

namespace Portal.Browser.Tests.QuickStart;

/// <summary>
/// The README's quick start, as a new user does it: <c>deploy/dev/run.sh</c> on a fresh data folder, the first sign-in
/// with the printed one-time password, and from the home page to a job's output, with no other command. Run as root
/// (as CI runs), so this is the root path: the quick start makes the account jobs run as, builds the launcher with a
/// development policy and the sample image.
/// </summary>
public sealed class QuickStartTests(Chromium chromium) : IClassFixture<Chromium>
{
    private const string NewPassword = "Quick-Start-2026-Portal";

    [Fact]
    public async Task Run_sh_on_a_fresh_data_folder_leads_from_the_first_sign_in_to_a_jobs_output()
    {
        await using QuickStartRun run = await QuickStartRun.StartAsync();
        await using IBrowserContext context = await chromium.Browser.NewContextAsync(new() { BaseURL = run.BaseAddress.ToString() });
        IPage page = await context.NewPageAsync();

        await page.GotoAsync("/account/login");
        await page.GetByLabel("User name").FillAsync("admin");
        await page.GetByLabel("Password").FillAsync(run.OneTimePassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Current password")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(page, "quickstart-change-password");
        await page.GetByLabel("Current password").FillAsync(run.OneTimePassword);
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync(NewPassword);
        await page.GetByLabel("New password again").FillAsync(NewPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Run your first job" }).ClickAsync();
        // The form is rendered on the server after it lists the user's images through the launcher: the first podman
        // call of a new account (its storage set up) on CI's loaded machine took longer than the default 5 s.
        await Assertions.Expect(page.Locator("#image")).ToHaveValueAsync("localhost/portal-sample:latest", new() { Timeout = 60_000 });
        await Chromium.ScreenshotAsync(page, "quickstart-first-job-form");
        await page.GetByRole(AriaRole.Button, new() { Name = "Launch" }).ClickAsync();

        await Assertions.Expect(page.Locator(".log-lines")).ToContainTextAsync(
            $"Hello from your first job: uid=0(root)", new() { Timeout = 120_000 });
        await Chromium.ScreenshotAsync(page, "quickstart-first-job-output");
        Assert.Contains($"Jobs run as the Linux account '{QuickStartRun.Account}'", run.Output, StringComparison.Ordinal);
    }
}

using Microsoft.Playwright;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Browser.Tests;

public sealed class FirstRunTests(KestrelPortal portal, Chromium chromium) : IClassFixture<KestrelPortal>, IClassFixture<Chromium>
{
    private const string NewPassword = "Fresh-Start-2026-Portal";

    [Fact]
    public async Task First_admin_signs_in_changes_the_password_creates_a_user_who_then_signs_in()
    {
        await using var linuxAccount = await TestLinuxUsers.HoldAsync("ptest-web-browser");
        var (adminName, oneTime, _) = Assert.Single(portal.Secrets.Shown);
        await using IBrowserContext adminContext = await NewContextAsync();
        IPage admin = await adminContext.NewPageAsync();

        await SignInAsync(admin, adminName, oneTime);
        await Assertions.Expect(admin).ToHaveURLAsync(new Uri(portal.BaseAddress, "/account/change-password").ToString());
        await Chromium.ScreenshotAsync(admin, "change-password");
        await ChangePasswordAsync(admin, oneTime, NewPassword);
        await Assertions.Expect(admin.Locator("h1")).ToHaveTextAsync($"Welcome, {adminName}");

        await admin.GotoAsync(new Uri(portal.BaseAddress, "/admin/users").ToString());
        await admin.GetByLabel("Portal user name").FillAsync("browser-user");
        await admin.GetByLabel("Linux account").FillAsync("ptest-web-browser");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        ILocator secret = admin.Locator("code.secret");
        await Assertions.Expect(secret).ToBeVisibleAsync();
        string userPassword = await secret.InnerTextAsync();
        await Assertions.Expect(admin.Locator("table.grid")).ToContainTextAsync("ptest-web-browser");
        await Chromium.ScreenshotAsync(admin, "admin-users");

        await admin.GotoAsync(new Uri(portal.BaseAddress, "/admin/audit?action=user.create").ToString());
        await Assertions.Expect(admin.Locator("table.grid")).ToContainTextAsync("browser-user");
        await Chromium.ScreenshotAsync(admin, "admin-audit");

        await using IBrowserContext userContext = await NewContextAsync();
        IPage user = await userContext.NewPageAsync();
        await SignInAsync(user, "browser-user", userPassword);
        await ChangePasswordAsync(user, userPassword, NewPassword);
        await Assertions.Expect(user.Locator("main")).ToContainTextAsync("ptest-web-browser");
        await Chromium.ScreenshotAsync(user, "home");

        await user.GotoAsync(new Uri(portal.BaseAddress, "/admin/users").ToString());
        await Assertions.Expect(user.Locator("h1")).ToHaveTextAsync("Not allowed");
    }

    [Fact]
    public async Task Wrong_password_shows_an_error_on_the_sign_in_page()
    {
        await using IBrowserContext context = await NewContextAsync();
        IPage page = await context.NewPageAsync();

        await SignInAsync(page, "nobody-at-all", "not-a-password");

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong user name or password.");
        await Chromium.ScreenshotAsync(page, "login-error");
    }

    private Task<IBrowserContext> NewContextAsync() =>
        chromium.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });

    private static async Task SignInAsync(IPage page, string userName, string password)
    {
        await page.GotoAsync("/account/login");
        await page.GetByLabel("User name").FillAsync(userName);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    private static async Task ChangePasswordAsync(IPage page, string current, string next)
    {
        await page.GetByLabel("Current password").FillAsync(current);
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync(next);
        await page.GetByLabel("New password again").FillAsync(next);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
    }
}

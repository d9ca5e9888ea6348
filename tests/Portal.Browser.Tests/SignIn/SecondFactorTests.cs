using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Data;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;

namespace Portal.Browser.Tests.SignIn;

/// <summary>
/// Second factors as a person meets them in Chromium: a role that requires one, an authenticator app set up with a code
/// the test computes (RFC 6238), single-use recovery codes, passkeys through the DevTools protocol's virtual
/// authenticator, and a disabled user's open page sent to the sign-in page within seconds.
/// </summary>
public sealed class SecondFactorTests(KestrelPortal portal, Chromium chromium) : IClassFixture<KestrelPortal>, IClassFixture<Chromium>
{
    private const string Password = "Second-Factor-2026-Test";

    [Fact]
    public async Task A_required_second_factor_is_set_up_with_TOTP_then_asked_for_and_recovery_codes_work_once()
    {
        string name = Unique("totp");
        await portal.CreateUserAsync(name, Password);
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<UserAdministration>()
                .SetSecondFactorRequirementAsync(new AuditActor(null, "test-admin"), new HashSet<string> { Roles.User }, CancellationToken.None);
        }

        try
        {
            await using IBrowserContext context = await NewContextAsync(portal.BaseAddress);
            IPage page = await context.NewPageAsync();
            await SignInAsync(page, name, Password);
            await Assertions.Expect(page).ToHaveURLAsync(Url("/account/security"));
            await page.GotoAsync("/jobs");
            await Assertions.Expect(page).ToHaveURLAsync(Url("/account/security"));

            await page.GetByRole(AriaRole.Button, new() { Name = "Set up an authenticator app" }).ClickAsync();
            string key = await page.Locator("code.totp-key").InnerTextAsync();
            await page.GetByLabel("Code from the app").FillAsync(Totp.Code(key, DateTimeOffset.UtcNow));
            await page.GetByRole(AriaRole.Button, new() { Name = "Turn on" }).ClickAsync();
            ILocator codes = page.Locator("ul.recovery-codes li");
            await Assertions.Expect(codes).ToHaveCountAsync(10);
            string recovery = (await codes.First.InnerTextAsync()).Trim();
            await Chromium.ScreenshotAsync(page, "security-totp-on");

            IPage second = await (await NewContextAsync(portal.BaseAddress)).NewPageAsync();
            await SignInAsync(second, name, Password);
            await Assertions.Expect(second).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login/second-factor"));
            await second.GetByLabel("Authenticator code").FillAsync(Totp.Code(key, DateTimeOffset.UtcNow));
            await second.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
            await Assertions.Expect(second.Locator("h1")).ToHaveTextAsync($"Welcome, {name}");

            Assert.True(await SignInWithRecoveryCodeAsync(name, recovery));
            Assert.False(await SignInWithRecoveryCodeAsync(name, recovery));
        }
        finally
        {
            await using var scope = portal.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<UserAdministration>()
                .SetSecondFactorRequirementAsync(new AuditActor(null, "test-admin"), new HashSet<string>(), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_passkey_is_added_then_signs_in_without_a_password()
    {
        string name = Unique("passkey");
        await portal.CreateUserAsync(name, Password);
        // WebAuthn wants a domain as the relying party, not an IP address: the same portal, reached as localhost.
        var localhost = new UriBuilder(portal.BaseAddress) { Host = "localhost" }.Uri;
        await using IBrowserContext context = await NewContextAsync(localhost);
        IPage page = await context.NewPageAsync();
        ICDPSession devtools = await context.NewCDPSessionAsync(page);
        await devtools.SendAsync("WebAuthn.enable");
        await devtools.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2", ["transport"] = "internal", ["hasResidentKey"] = true,
                ["hasUserVerification"] = true, ["isUserVerified"] = true, ["automaticPresenceSimulation"] = true,
            },
        });

        await SignInAsync(page, name, Password);
        await page.GotoAsync("/account/security");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" }).ClickAsync();
        await Assertions.Expect(page.Locator("p.success, p.error:not(:empty)").First).ToHaveTextAsync("Passkey added.");
        await Assertions.Expect(page.Locator("ul.passkeys li")).ToHaveCountAsync(1);

        // Off the portal first, so that no request of the security page is still in flight when the cookies go.
        await page.GotoAsync("about:blank");
        await context.ClearCookiesAsync();
        await page.GotoAsync("/account/login");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use a passkey" }).ClickAsync();
        // The options request, the virtual authenticator and the post: more than the default 5 s on a loaded machine.
        // Either the dashboard's greeting or the sign-in page's error: the error's words, if any, are the failure.
        ILocator welcome = page.GetByRole(AriaRole.Heading, new() { Name = $"Welcome, {name}" });
        ILocator error = page.Locator("p.error:not(:empty)");
        await Assertions.Expect(welcome.Or(error).First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        Assert.True(await welcome.IsVisibleAsync(),
            $"The passkey did not sign in: {string.Join(" ", await error.AllInnerTextsAsync())}{Environment.NewLine}The portal's errors: {portal.ServerErrors}");
        await Chromium.ScreenshotAsync(page, "passkey-sign-in");
    }

    [Fact]
    public async Task Disabling_a_user_sends_their_open_page_to_the_sign_in_page_within_seconds()
    {
        string name = Unique("revoked");
        await portal.CreateUserAsync(name, Password);
        await using IBrowserContext context = await NewContextAsync(portal.BaseAddress);
        IPage page = await context.NewPageAsync();
        // The dashboard is a live circuit: its WebSocket opens once the page has loaded.
        Task<IWebSocket> circuit = page.WaitForWebSocketAsync();
        await SignInAsync(page, name, Password);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync($"Welcome, {name}");
        await circuit;

        // An admin disables the user on the Users page, in a browser of their own.
        string adminName = Unique("admin");
        await portal.CreateUserAsync(adminName, Password, admin: true);
        await using IBrowserContext adminContext = await NewContextAsync(portal.BaseAddress);
        IPage admin = await adminContext.NewPageAsync();
        await SignInAsync(admin, adminName, Password);
        await admin.GotoAsync("/admin/users");
        await admin.Locator("tr", new() { HasText = name }).GetByRole(AriaRole.Button, new() { Name = "Disable…" }).ClickAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = $"Yes, disable {name}" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status)).ToContainTextAsync("disabled and signed out everywhere");

        await Assertions.Expect(page).ToHaveURLAsync(Url("/account/login"), new() { Timeout = 10_000 });
    }

    private async Task<bool> SignInWithRecoveryCodeAsync(string name, string recovery)
    {
        await using IBrowserContext context = await NewContextAsync(portal.BaseAddress);
        IPage page = await context.NewPageAsync();
        await SignInAsync(page, name, Password);
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login/second-factor"));
        await page.GetByLabel("Recovery code").FillAsync(recovery);
        await page.GetByRole(AriaRole.Button, new() { Name = "Use recovery code" }).ClickAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        return await page.Locator("h1").InnerTextAsync() == $"Welcome, {name}";
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    private string Url(string path) => new Uri(portal.BaseAddress, path).ToString();

    private Task<IBrowserContext> NewContextAsync(Uri baseAddress) =>
        chromium.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString() });

    private static async Task SignInAsync(IPage page, string userName, string password)
    {
        await page.GotoAsync("/account/login");
        await page.GetByLabel("User name").FillAsync(userName);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
    }
}

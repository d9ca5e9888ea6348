using Microsoft.Playwright;

namespace Portal.Browser.Tests.Admin;

/// <summary>
/// The users page as an admin meets it in Chromium: Disable asks first, and at phone width the menu folds behind a
/// button, the stacked table cells keep their column's name, and checkbox labels (token scopes) stay readable.
/// </summary>
public sealed class UsersPageTests(KestrelPortal portal, Chromium chromium) : IClassFixture<KestrelPortal>, IClassFixture<Chromium>
{
    private const string Password = "Users-Page-Test-2026";

    [Fact]
    public async Task Disable_asks_first_and_Keep_leaves_the_user_active()
    {
        string admin = Unique("boss");
        string target = Unique("dana");
        await portal.CreateUserAsync(admin, Password, admin: true);
        await portal.CreateUserAsync(target, Password);
        IPage page = await NewPageAsync(1280, 900, ColorScheme.Light);
        await Dashboard.BrowserSession.SignInAsync(page, admin, Password);
        await Assertions.Expect(page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
        await page.GotoAsync("/admin/users");
        ILocator row = page.Locator("tr", new() { HasText = target });

        await row.GetByRole(AriaRole.Button, new() { Name = "Disable…" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Disable {target}?" })).ToBeVisibleAsync();
        await Assertions.Expect(row.Locator("td").Nth(4)).ToHaveTextAsync("active");
        await page.GetByRole(AriaRole.Link, new() { Name = "Keep as it is" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Disable {target}?" })).ToHaveCountAsync(0);
        await row.GetByRole(AriaRole.Button, new() { Name = "Disable…" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Yes, disable {target}" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"{target} is disabled and signed out everywhere");
        await Assertions.Expect(row.Locator("td").Nth(4)).ToHaveTextAsync("disabled");
    }

    [Theory]
    [InlineData(ColorScheme.Light, "light")]
    [InlineData(ColorScheme.Dark, "dark")]
    public async Task At_phone_width_the_menu_folds_cells_keep_their_labels_and_scope_labels_stay_whole(ColorScheme scheme, string schemeName)
    {
        string admin = Unique("phone");
        await portal.CreateUserAsync(admin, Password, admin: true);
        IPage page = await NewPageAsync(390, 844, scheme);
        await Dashboard.BrowserSession.SignInAsync(page, admin, Password);
        await Assertions.Expect(page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));

        await page.GotoAsync("/admin/users");
        ILocator nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        await Assertions.Expect(nav).ToBeHiddenAsync();
        await page.GetByText("Menu", new() { Exact = true }).ClickAsync();
        await Assertions.Expect(nav).ToBeVisibleAsync();
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "My jobs" })).ToBeVisibleAsync();
        ILocator userCell = page.Locator("table.grid tbody tr", new() { HasText = admin }).Locator("td").First;
        await Assertions.Expect(userCell).ToHaveAttributeAsync("data-label", "User");
        string before = await userCell.EvaluateAsync<string>("cell => getComputedStyle(cell, '::before').content");
        Assert.Equal("\"User\"", before);
        await Chromium.ScreenshotAsync(page, $"admin-users-phone-{schemeName}");

        await page.GotoAsync("/account/tokens");
        ILocator scope = page.Locator("label[for='scope-read'], label:has(#scope-read)").First;
        var code = await scope.Locator("code").BoundingBoxAsync();
        Assert.NotNull(code);
        float lineHeight = await scope.Locator("code").EvaluateAsync<float>("c => parseFloat(getComputedStyle(c).fontSize) * 2");
        Assert.True(code.Height < lineHeight, $"The scope name wraps: {code.Height}px tall at 390px wide.");
        await Chromium.ScreenshotAsync(page, $"access-tokens-phone-{schemeName}");
        int pageWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(pageWidth <= 390, $"The tokens page scrolls sideways at 390px: {pageWidth}px wide.");
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    private async Task<IPage> NewPageAsync(int width, int height, ColorScheme scheme)
    {
        IBrowserContext context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = scheme,
        });
        return await context.NewPageAsync();
    }
}

using Microsoft.Playwright;

namespace Portal.Browser.Tests.SignIn;

/// <summary>
/// The session cookie's SameSite=Lax as Chromium applies it: a link to the portal on another site (a job link pasted
/// into chat) opens the page for a signed-in user, while a form that another site posts to the portal does not act
/// as that user. The other site is a page Chromium loads from http://elsewhere.test (a different site from the
/// portal's 127.0.0.1), served by the test.
/// </summary>
public sealed class CrossSiteLinkTests(KestrelPortal portal, Chromium chromium) : IClassFixture<KestrelPortal>, IClassFixture<Chromium>
{
    private const string Password = "Cross-Site-Link-2026";
    private const string ElsewhereUrl = "http://elsewhere.test/chat";

    [Fact]
    public async Task A_link_to_the_portal_on_another_site_opens_the_page_for_a_signed_in_user()
    {
        string name = $"linked-{Guid.NewGuid().ToString("N")[..8]}";
        await portal.CreateUserAsync(name, Password);
        await using IBrowserContext context = await chromium.Browser.NewContextAsync(new() { BaseURL = portal.BaseAddress.ToString() });
        IPage page = await context.NewPageAsync();
        await Dashboard.BrowserSession.SignInAsync(page, name, Password);
        await Assertions.Expect(page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
        await ServeElsewhereAsync(context, $"<a id=\"link\" href=\"{new Uri(portal.BaseAddress, "/jobs")}\">my jobs</a>");

        await page.GotoAsync(ElsewhereUrl);
        await page.ClickAsync("#link");

        await Assertions.Expect(page).ToHaveURLAsync(new Uri(portal.BaseAddress, "/jobs").ToString());
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("My jobs");
    }

    [Fact]
    public async Task A_form_another_site_posts_to_the_portal_does_not_act_as_the_signed_in_user()
    {
        string name = $"posted-{Guid.NewGuid().ToString("N")[..8]}";
        await portal.CreateUserAsync(name, Password);
        await using IBrowserContext context = await chromium.Browser.NewContextAsync(new() { BaseURL = portal.BaseAddress.ToString() });
        IPage page = await context.NewPageAsync();
        await Dashboard.BrowserSession.SignInAsync(page, name, Password);
        await Assertions.Expect(page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
        await ServeElsewhereAsync(context,
            $"<form id=\"out\" method=\"post\" action=\"{new Uri(portal.BaseAddress, "/account/logout")}\"><button>win a prize</button></form>");

        await page.GotoAsync(ElsewhereUrl);
        IResponse posted = await page.RunAndWaitForResponseAsync(
            () => page.ClickAsync("#out button"), r => r.Url.EndsWith("/account/logout", StringComparison.Ordinal));
        Dictionary<string, string> sent = await posted.Request.AllHeadersAsync();

        // SameSite=Lax kept the session cookie off the cross-site post (and antiforgery would refuse it anyway).
        Assert.DoesNotContain("portal.session", sent.GetValueOrDefault("cookie") ?? "", StringComparison.Ordinal);
        // Still signed in (a fresh tab: the refused post's error page is still arriving in the first one).
        IPage later = await context.NewPageAsync();
        await later.GotoAsync("/jobs");
        await Assertions.Expect(later).ToHaveURLAsync(new Uri(portal.BaseAddress, "/jobs").ToString());
        await Assertions.Expect(later.Locator("h1")).ToHaveTextAsync("My jobs");
    }

    private static async Task ServeElsewhereAsync(IBrowserContext context, string body) =>
        await context.RouteAsync(ElsewhereUrl, route => route.FulfillAsync(new()
        {
            Status = 200,
            ContentType = "text/html",
            Body = $"<!doctype html><html><body>{body}</body></html>",
        }));
}

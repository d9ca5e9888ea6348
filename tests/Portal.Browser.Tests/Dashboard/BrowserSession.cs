using Microsoft.Playwright;

namespace Portal.Browser.Tests.Dashboard;

/// <summary>Signing in and watching the page's console, for the dashboard tests.</summary>
internal static class BrowserSession
{
    public const string Password = "Dashboard-Viewer-2026";

    public static async Task SignInAsync(IPage page, string userName, string password)
    {
        await page.GotoAsync("/account/login");
        await page.GetByLabel("User name").FillAsync(userName);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>Collects console errors and uncaught exceptions: a Content-Security-Policy violation or a failed
    /// script (Blazor's) shows up here, not in the page.</summary>
    public static List<string> CollectErrors(IPage page)
    {
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            // The portal has no favicon; the browser asking for one is not a dashboard error.
            if (message.Type == "error" && !message.Location.EndsWith("/favicon.ico:0:0", StringComparison.Ordinal))
            {
                errors.Add($"{message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => errors.Add(error);
        return errors;
    }
}

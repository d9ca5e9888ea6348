using System.Text.RegularExpressions;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Pages;

/// <summary>Every page is styled by the portal's own stylesheet alone, light and dark by the system's preference, so
/// no page (the dashboard included) needs a circuit or a component library for its colours.</summary>
public sealed partial class ThemeTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Page_UsesOnlyThePortalsStylesheet_WithALightAndADarkPalette()
    {
        using PortalClient client = portal.CreatePortalClient();

        string page = await client.PageAsync("/account/login");
        var stylesheets = Stylesheet().Matches(page).Select(m => m.Groups["href"].Value).ToList();
        string css = await client.PageAsync("/" + Assert.Single(stylesheets));

        Assert.Matches("^app\\.[a-z0-9]+\\.css$|^app\\.css$", stylesheets[0]);
        Assert.DoesNotContain("_content/", page, StringComparison.Ordinal);
        int dark = css.IndexOf("@media (prefers-color-scheme: dark)", StringComparison.Ordinal);
        Assert.True(dark > 0, "No dark palette for a dark system.");
        foreach (string variable in new[] { "--bg:", "--card:", "--fg:", "--accent:", "--accent-2:" })
        {
            Assert.Contains(variable, css[..dark], StringComparison.Ordinal);
            Assert.Contains(variable, css[dark..], StringComparison.Ordinal);
        }
    }

    [GeneratedRegex("<link rel=\"stylesheet\" href=\"(?<href>[^\"]+)\"")]
    private static partial Regex Stylesheet();
}

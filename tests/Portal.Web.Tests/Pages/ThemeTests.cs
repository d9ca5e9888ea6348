using MudBlazor;
using MudBlazor.Utilities;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Pages;

/// <summary>MudBlazor's palettes come with every static page, not from a circuit: the light one in :root, the
/// dark one under prefers-color-scheme, so the dashboard's dark mode cannot silently fall back to light.</summary>
public sealed class ThemeTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Static_page_carries_mudblazors_light_palette_and_its_dark_palette_for_a_dark_system()
    {
        using PortalClient client = portal.CreatePortalClient();

        string page = await client.PageAsync("/account/login");

        int style = page.IndexOf("<style class=\"mud-palette\">", StringComparison.Ordinal);
        Assert.True(style >= 0, "No MudBlazor palette style on the page.");
        int end = page.IndexOf("</style>", style, StringComparison.Ordinal);
        string css = page[style..end];
        int media = css.IndexOf("@media (prefers-color-scheme: dark)", StringComparison.Ordinal);
        Assert.True(media > 0, "No dark palette for a dark system.");
        var theme = new MudTheme();
        string light = css[..media];
        string dark = css[media..];
        Assert.Contains(Variable("primary", theme.PaletteLight.Primary), light, StringComparison.Ordinal);
        Assert.Contains(Variable("surface", theme.PaletteLight.Surface), light, StringComparison.Ordinal);
        Assert.Contains("--mud-typography-default-family:", light, StringComparison.Ordinal);
        Assert.Contains(Variable("primary", theme.PaletteDark.Primary), dark, StringComparison.Ordinal);
        Assert.Contains(Variable("surface", theme.PaletteDark.Surface), dark, StringComparison.Ordinal);
        Assert.Contains(Variable("text-primary", theme.PaletteDark.TextPrimary), dark, StringComparison.Ordinal);
        Assert.Contains("--mud-native-html-color-scheme: dark;", dark, StringComparison.Ordinal);
        // Nothing on a static page may need a circuit for its colours.
        Assert.DoesNotContain("mud-theme-provider", page, StringComparison.Ordinal);
    }

    private static string Variable(string name, MudColor color) => $"--mud-palette-{name}: {color.ToString(MudColorOutputFormats.RGBA)};";
}

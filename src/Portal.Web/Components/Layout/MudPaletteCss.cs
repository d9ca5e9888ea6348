using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.JSInterop;
using MudBlazor;
using MudBlazor.Services;

namespace Portal.Web.Components.Layout;

/// <summary>
/// MudBlazor's CSS variables (<c>--mud-palette-*</c>, typography, elevations) for its default light palette, and the
/// variables its dark palette changes under <c>@media (prefers-color-scheme: dark)</c>, as the portal's own CSS
/// follows the system's preference. Static pages carry them, so no circuit holds a <see cref="MudThemeProvider"/>
/// (each open dashboard held its own 23 KiB CSS string, palettes and dark-mode JS calls). The values are
/// MudBlazor's own: a <see cref="MudThemeProvider"/> renders them once per process, in each mode.
/// </summary>
internal static partial class MudPaletteCss
{
    private static readonly Lazy<Task<string>> Style = new(RenderAsync);

    /// <summary>The <c>&lt;style&gt;</c> element, rendered on first use and then shared by every page.</summary>
    public static Task<string> StyleAsync() => Style.Value;

    /// <summary>The light variables in <c>:root</c>, then those the dark palette changes, under the media query.</summary>
    private static string Combine(IReadOnlyList<KeyValuePair<string, string>> light, IReadOnlyList<KeyValuePair<string, string>> dark)
    {
        var lightValues = light.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
        var css = new StringBuilder("<style class=\"mud-palette\">\n:root{\n");
        foreach (var (name, value) in light)
        {
            css.Append(name).Append(": ").Append(value).Append(";\n");
        }

        css.Append("}\n@media (prefers-color-scheme: dark){\n:root{\n");
        // Only what differs: the rest (typography, z-indexes, most shadows) is the same in both modes.
        foreach (var (name, value) in dark.Where(v => !lightValues.TryGetValue(v.Key, out var same) || same != v.Value))
        {
            css.Append(name).Append(": ").Append(value).Append(";\n");
        }

        return css.Append("}\n}\n</style>").ToString();
    }

    private static async Task<string> RenderAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMudServices();
        services.AddSingleton<IJSRuntime, NoBrowser>();
        await using var provider = services.BuildServiceProvider();
        await using var renderer = new HtmlRenderer(provider, NullLoggerFactory.Instance);
        var light = await VariablesAsync(renderer, dark: false);
        var dark = await VariablesAsync(renderer, dark: true);
        return Combine(light, dark);
    }

    private static Task<IReadOnlyList<KeyValuePair<string, string>>> VariablesAsync(HtmlRenderer renderer, bool dark) =>
        renderer.Dispatcher.InvokeAsync(async () =>
        {
            var parameters = ParameterView.FromDictionary(new Dictionary<string, object?>
            {
                [nameof(MudThemeProvider.IsDarkMode)] = dark,
                [nameof(MudThemeProvider.ObserveSystemDarkModeChange)] = false,
            });
            var html = (await renderer.RenderComponentAsync<MudThemeProvider>(parameters)).ToHtmlString();
            var root = ThemeRoot().Match(html);
            if (!root.Success)
            {
                throw new InvalidOperationException("MudThemeProvider rendered no :root block of CSS variables: its markup changed.");
            }

            return (IReadOnlyList<KeyValuePair<string, string>>)Variable().Matches(root.Groups["body"].Value)
                .Select(m => KeyValuePair.Create(m.Groups["name"].Value, m.Groups["value"].Value.Trim()))
                .ToList();
        });

    [GeneratedRegex(@"<style class='mud-theme-provider'>\s*:root\s*\{(?<body>[^}]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex ThemeRoot();

    [GeneratedRegex(@"(?<name>--[\w-]+)\s*:(?<value>[^;]*);", RegexOptions.CultureInvariant)]
    private static partial Regex Variable();

    /// <summary>Rendered outside any browser: MudThemeProvider's only JS calls (watching the system's dark mode,
    /// which <c>ObserveSystemDarkModeChange = false</c> turns off, and stopping that on dispose) have nothing to
    /// do.</summary>
    private sealed class NoBrowser : IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => ValueTask.FromResult(default(TValue)!);

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) =>
            ValueTask.FromResult(default(TValue)!);
    }
}

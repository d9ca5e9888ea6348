using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace Portal.Web.Components.Layout;

/// <summary>MudBlazor's CSS variables for both light and dark mode (<see cref="MudPaletteCss"/>), in the page's
/// head. Static: the theme lives in the page, not in any circuit.</summary>
public sealed class MudPaletteStyle : ComponentBase
{
    private string _style = "";

    protected override async Task OnInitializedAsync() => _style = await MudPaletteCss.StyleAsync();

    protected override void BuildRenderTree(RenderTreeBuilder builder) => builder.AddMarkupContent(0, _style);
}

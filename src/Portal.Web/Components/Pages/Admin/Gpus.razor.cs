using Microsoft.AspNetCore.Components;
using Portal.Data.Jobs;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Components.Pages.Admin;

public partial class Gpus
{
    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "confirm")]
    private string? ConfirmUuid { get; set; }

    [SupplyParameterFromForm(FormName = "gpu-drain")]
    private string? Uuid { get; set; }

    [SupplyParameterFromForm(FormName = "gpu-drain")]
    private bool Drain { get; set; }

    [SupplyParameterFromForm(FormName = "gpu-drain")]
    private string? Reason { get; set; }

    [SupplyParameterFromForm(FormName = "gpu-drain")]
    private bool Confirm { get; set; }

    private IReadOnlyList<StoredGpu> _gpus = [];
    private IReadOnlyList<Services.Gpus.EnforcementLine> _enforcement = [];
    private Dictionary<string, GpuHolding> _holdings = [];
    private StoredGpu? _confirm;
    private AdminResult? _result;
    private bool _handlingPost;

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync();
        _enforcement = await Enforcement.ReadAsync(HttpContext.RequestAborted);
        _handlingPost = HttpMethods.IsPost(HttpContext.Request.Method);
        if (_handlingPost)
        {
            _confirm = _gpus.FirstOrDefault(g => g.Uuid == Uuid);
        }
        else if (ConfirmUuid is { Length: > 0 } uuid)
        {
            _confirm = _gpus.FirstOrDefault(g => g.Uuid == uuid);
            _result = _confirm is null ? AdminResult.Fail($"There is no GPU {uuid}.") : null;
        }
    }

    private async Task SetDrainedAsync()
    {
        if (string.IsNullOrEmpty(Uuid))
        {
            _result = AdminResult.Fail("Choose a GPU.");
            return;
        }

        if (!Confirm)
        {
            _confirm = _gpus.FirstOrDefault(g => g.Uuid == Uuid);
            _result = AdminResult.Fail("Tick the box to confirm.");
            return;
        }

        _result = await Admin.SetDrainedAsync(CurrentUser.From(HttpContext.User).Actor, Uuid, Drain, Reason, HttpContext.RequestAborted);
        if (_result.Succeeded)
        {
            (_confirm, _handlingPost) = (null, false);
        }
        else
        {
            _confirm = null;
        }

        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _gpus = await GpuStore.ListGpusAsync(HttpContext.RequestAborted);
        _holdings = (await GpuStore.ListHoldingsAsync(HttpContext.RequestAborted)).ToDictionary(h => h.GpuUuid, StringComparer.Ordinal);
    }
}

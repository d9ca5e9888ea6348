using Microsoft.AspNetCore.Components;
using Portal.Core.Quotas;
using Portal.Data.Quotas;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Admin;

namespace Portal.Web.Components.Pages.Admin;

public partial class QuotaUserPage
{
    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "id")]
    private string? IdText { get; set; }

    [SupplyParameterFromForm(FormName = "quota-override")]
    private QuotaForm Override { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "quota-override-remove")]
    private bool ConfirmRemove { get; set; }

    private Guid _userId;
    private string? _userName;
    private bool _hasOverride;
    private EffectiveQuota? _withoutOverride;
    private QuotaUsage? _usage;
    private QuotaChangeResult? _result;
    private IReadOnlyList<Portal.Core.Jobs.FieldError> _errors = [];

    protected override async Task OnInitializedAsync()
    {
        Override ??= new();
        await LoadAsync(keepForm: HttpMethods.IsPost(HttpContext.Request.Method));
    }

    private async Task SaveAsync()
    {
        if (_userName is null)
        {
            return;
        }

        _result = await Admin.SetOverrideAsync(CurrentUser.From(HttpContext.User).Actor, _userId, Override, HttpContext.RequestAborted);
        _errors = _result.Errors;
        await LoadAsync(keepForm: !_result.Succeeded);
    }

    private async Task RemoveAsync()
    {
        if (_userName is null)
        {
            return;
        }

        _result = ConfirmRemove
            ? await Admin.RemoveOverrideAsync(CurrentUser.From(HttpContext.User).Actor, _userId, HttpContext.RequestAborted)
            : QuotaChangeResult.Fail("Tick the box to confirm.");
        await LoadAsync(keepForm: false);
    }

    private async Task LoadAsync(bool keepForm)
    {
        CancellationToken ct = HttpContext.RequestAborted;
        _userName = null;
        if (Guid.TryParse(IdText, out _userId))
        {
            _userName = await Users.NameAsync(_userId, ct);
        }

        if (_userName is null)
        {
            // 404 through the framework, so the status page (Error.razor) renders the body a browser shows.
            Navigation.NotFound();
            return;
        }

        QuotaPolicy? stored = await QuotaStore.GetUserOverrideAsync(_userId, ct);
        _hasOverride = stored is not null;
        if (!keepForm)
        {
            Override = QuotaForm.From(stored);
        }

        // What applies without the override: resolve with the user's groups only.
        QuotaPolicy defaults = await QuotaStore.GetDefaultAsync(ct);
        var groups = (await QuotaStore.ListGroupsAsync(ct)).Where(g => g.MemberIds.Contains(_userId)).Select(g => g.Policy).ToList();
        _withoutOverride = QuotaResolver.Resolve(defaults, groups, null);
        _usage = await Usage.QuotaUsageAsync(_userId, ct);
    }
}

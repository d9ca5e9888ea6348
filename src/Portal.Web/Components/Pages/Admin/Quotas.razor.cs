using Microsoft.AspNetCore.Components;
using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Data.Accounts;
using Portal.Data.Quotas;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Admin;

namespace Portal.Web.Components.Pages.Admin;

public partial class Quotas
{
    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "quota-default")]
    private QuotaForm Default { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "quota-group-create")]
    private QuotaForm NewGroup { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "quota-group-create")]
    private string? NewGroupName { get; set; }

    private IEnumerable<string> GroupNameErrors => _groupErrors.Where(e => e.Field == "Name").Select(e => e.Message);

    private QuotaChangeResult? _result;
    private IReadOnlyList<FieldError> _defaultErrors = [];
    private IReadOnlyList<FieldError> _groupErrors = [];
    private EffectiveQuota? _defaultQuota;
    private IReadOnlyList<QuotaGroup> _groups = [];
    private IReadOnlyList<UserRef> _users = [];
    private List<(UserRef User, QuotaPolicy Policy)> _overrides = [];

    protected override async Task OnInitializedAsync()
    {
        // Only the posted form carries values; the other forms show what is stored.
        bool posted = HttpMethods.IsPost(HttpContext.Request.Method);
        Default ??= new();
        NewGroup ??= new();
        await LoadAsync(keepDefault: posted);
    }

    private async Task SaveDefaultAsync()
    {
        _result = await Admin.SetDefaultAsync(CurrentUser.From(HttpContext.User).Actor, Default, HttpContext.RequestAborted);
        _defaultErrors = _result.Errors;
        await LoadAsync(keepDefault: !_result.Succeeded);
    }

    private async Task CreateGroupAsync()
    {
        _result = await Admin.CreateGroupAsync(CurrentUser.From(HttpContext.User).Actor, NewGroupName, NewGroup, HttpContext.RequestAborted);
        _groupErrors = _result.Errors;
        if (_result.Succeeded)
        {
            (NewGroup, NewGroupName) = (new(), null);
        }

        await LoadAsync(keepDefault: false);
    }

    private async Task LoadAsync(bool keepDefault)
    {
        CancellationToken ct = HttpContext.RequestAborted;
        QuotaPolicy stored = await QuotaStore.GetDefaultAsync(ct);
        _defaultQuota = QuotaResolver.Resolve(stored, [], null);
        if (!keepDefault)
        {
            Default = QuotaForm.From(stored);
        }

        _groups = await QuotaStore.ListGroupsAsync(ct);
        _users = await Users.NamesAsync(cancellationToken: ct);
        var overrides = await QuotaStore.ListUserOverridesAsync(ct);
        _overrides = overrides
            .Select(o => (_users.FirstOrDefault(u => u.Id == o.Key) ?? new UserRef(o.Key, o.Key.ToString()), o.Value))
            .OrderBy(p => p.Item1.Name, StringComparer.Ordinal)
            .ToList();
    }
}

using Microsoft.AspNetCore.Components;
using Portal.Core.Quotas;
using Portal.Data.Accounts;
using Portal.Data.Quotas;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Admin;

namespace Portal.Web.Components.Pages.Admin;

public partial class QuotaGroupPage
{
    [Parameter]
    public int Id { get; set; }

    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "quota-group")]
    private QuotaForm Policy { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "quota-group-idle")]
    private IdleForm Idle { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "quota-group-job-idle")]
    private JobIdleForm JobIdle { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "quota-member-add")]
    private Guid? MemberToAdd { get; set; }

    [SupplyParameterFromForm(FormName = "quota-member-remove")]
    private Guid? MemberToRemove { get; set; }

    [SupplyParameterFromForm(FormName = "quota-group-delete")]
    private bool ConfirmDelete { get; set; }

    private QuotaGroup? _group;
    private EffectiveQuota? _defaultQuota;
    private List<UserRef> _members = [];
    private List<UserRef> _candidates = [];
    private QuotaChangeResult? _result;
    private IReadOnlyList<Portal.Core.Jobs.FieldError> _errors = [];
    private IReadOnlyList<Portal.Core.Jobs.FieldError> _idleErrors = [];
    private IReadOnlyList<Portal.Core.Jobs.FieldError> _jobIdleErrors = [];

    protected override async Task OnInitializedAsync()
    {
        Policy ??= new();
        Idle ??= new();
        JobIdle ??= new();
        await LoadAsync(keepForm: HttpMethods.IsPost(HttpContext.Request.Method));
    }

    private async Task SaveAsync()
    {
        _result = await Admin.UpdateGroupAsync(Actor, Id, Policy, HttpContext.RequestAborted);
        _errors = _result.Errors;
        await LoadAsync(keepForm: !_result.Succeeded);
    }

    private async Task SaveIdleAsync()
    {
        _result = await Admin.SetGroupIdleAsync(Actor, Id, Idle, HttpContext.RequestAborted);
        _idleErrors = _result.Errors;
        await LoadAsync(keepForm: !_result.Succeeded);
    }

    private async Task SaveJobIdleAsync()
    {
        _result = await Admin.SetGroupJobIdleAsync(Actor, Id, JobIdle, HttpContext.RequestAborted);
        _jobIdleErrors = _result.Errors;
        await LoadAsync(keepForm: !_result.Succeeded);
    }

    private async Task AddMemberAsync()
    {
        _result = MemberToAdd is { } user
            ? await Admin.AddMemberAsync(Actor, Id, user, HttpContext.RequestAborted)
            : QuotaChangeResult.Fail("Choose a user.");
        await LoadAsync(keepForm: false);
    }

    private async Task RemoveMemberAsync()
    {
        _result = MemberToRemove is { } user
            ? await Admin.RemoveMemberAsync(Actor, Id, user, HttpContext.RequestAborted)
            : QuotaChangeResult.Fail("Choose a member.");
        await LoadAsync(keepForm: false);
    }

    private async Task DeleteAsync()
    {
        if (!ConfirmDelete)
        {
            _result = QuotaChangeResult.Fail("Tick the box to confirm.");
            await LoadAsync(keepForm: false);
            return;
        }

        _result = await Admin.DeleteGroupAsync(Actor, Id, HttpContext.RequestAborted);
        if (_result.Succeeded)
        {
            Navigation.NavigateTo("/admin/quotas");
            return;
        }

        await LoadAsync(keepForm: false);
    }

    private Portal.Web.Services.Audit.AuditActor Actor => CurrentUser.From(HttpContext.User).Actor;

    private async Task LoadAsync(bool keepForm)
    {
        CancellationToken ct = HttpContext.RequestAborted;
        _group = (await QuotaStore.ListGroupsAsync(ct)).FirstOrDefault(g => g.Id == Id);
        if (_group is null)
        {
            // The status page would render a second page; this one says what is missing.
            // 404 through the framework, so the status page (Error.razor) renders the body a browser shows.
            Navigation.NotFound();
            return;
        }

        _defaultQuota = QuotaResolver.Resolve(await QuotaStore.GetDefaultAsync(ct), [], null);
        if (!keepForm)
        {
            Policy = QuotaForm.From(_group.Policy);
            Idle = IdleForm.From(await QuotaStore.GetGroupIdleAsync(Id, ct));
            JobIdle = JobIdleForm.From((await QuotaStore.GetGroupJobIdleAsync(Id, ct)).Policy);
        }

        var users = await Users.NamesAsync(cancellationToken: ct);
        var memberIds = _group.MemberIds.ToHashSet();
        _members = users.Where(u => memberIds.Contains(u.Id)).ToList();
        _candidates = users.Where(u => !memberIds.Contains(u.Id)).ToList();
    }
}

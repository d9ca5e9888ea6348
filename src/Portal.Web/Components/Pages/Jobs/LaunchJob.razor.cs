using Microsoft.AspNetCore.Components;
using Portal.Core.Jobs;
using Portal.Data.Jobs;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.JobForms;

namespace Portal.Web.Components.Pages.Jobs;

public partial class LaunchJob
{
    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "launch")]
    private LaunchForm Form { get; set; } = default!;

    private CurrentUser? _user;
    private IReadOnlyList<MountRoot> _roots = [];
    private IReadOnlyList<FieldError> _errors = [];
    private Portal.Core.Quotas.QuotaUsage? _usage;
    private int _usableGpus;
    private int _freeGpus;

    protected override async Task OnInitializedAsync()
    {
        Form ??= new();
        _user = CurrentUser.From(HttpContext.User);
        if (_user.LinuxUserName is not null)
        {
            _roots = await MountRoots.ForAsync(_user.LinuxUserName, HttpContext.RequestAborted);
            _usage = await Usage.QuotaUsageAsync(_user.Id, HttpContext.RequestAborted);
            var usable = (await GpuStore.ListGpusAsync(HttpContext.RequestAborted)).Where(g => g.IsPresent && !g.Drained).ToList();
            _usableGpus = usable.Count;
            _freeGpus = usable.Count(g => g.HeldByJobId is null);
        }
    }

    private async Task SubmitAsync()
    {
        if (_user?.LinuxUserName is null)
        {
            return;
        }

        (JobSpec? spec, IReadOnlyList<FieldError> parseErrors) = Form.ToSpec();
        if (spec is null)
        {
            _errors = parseErrors;
            return;
        }

        SubmitResult result = await Submissions.SubmitAsync(_user, spec, HttpContext.RequestAborted);
        if (result.JobId is { } id)
        {
            Navigation.NavigateTo($"/jobs/{id}", forceLoad: true);
            return;
        }

        _errors = result.Errors;
    }

    private IEnumerable<string> Errors(string field) => _errors.Where(e => e.Field == field).Select(e => e.Message);
}

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

    /// <summary>Pre-fills a new form (the home page's "Run your first job" link); a posted form keeps what was typed.</summary>
    [SupplyParameterFromQuery(Name = "image")]
    private string? PrefillImage { get; set; }

    [SupplyParameterFromQuery(Name = "name")]
    private string? PrefillName { get; set; }

    [SupplyParameterFromQuery(Name = "command")]
    private string? PrefillCommand { get; set; }

    private CurrentUser? _user;
    private IReadOnlyList<MountRoot> _roots = [];
    private IReadOnlyList<FieldError> _errors = [];
    private Portal.Core.Quotas.QuotaUsage? _usage;
    private int _usableGpus;
    private int _freeGpus;

    protected override async Task OnInitializedAsync()
    {
        bool fresh = Form is null;
        Form ??= new();
        if (fresh)
        {
            Form.Image = PrefillImage ?? Form.Image;
            Form.Name = PrefillName ?? Form.Name;
            Form.Command = PrefillCommand ?? Form.Command;
            Form.SubmissionKey = "form-" + Guid.NewGuid().ToString("N");
        }

        _user = CurrentUser.From(HttpContext.User);
        if (_user.LinuxUserName is not null)
        {
            _roots = await MountRoots.ForAsync(_user.LinuxUserName, HttpContext.RequestAborted);
            _usage = await Usage.QuotaUsageAsync(_user.Id, HttpContext.RequestAborted);
            var usable = (await GpuStore.ListGpusAsync(HttpContext.RequestAborted)).Where(g => g.IsPresent && !g.Drained && !g.HasMigInstances).ToList();
            _usableGpus = usable.Count;
            _freeGpus = usable.Count(g => g.HeldByJobId is null);
            if (fresh && _usableGpus == 0)
            {
                // A box without GPUs: a default of one would make every first submission fail.
                Form.Gpus = 0;
            }
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

        string? key = string.IsNullOrEmpty(Form.SubmissionKey) ? null : Form.SubmissionKey;
        SubmitResult result = await Submissions.SubmitAsync(_user, spec, HttpContext.RequestAborted, key);
        if (result.JobId is { } id)
        {
            Navigation.NavigateTo($"/jobs/{id}", forceLoad: true);
            return;
        }

        _errors = result.Errors;
    }

    private IEnumerable<string> Errors(string field) => _errors.Where(e => e.Field == field).Select(e => e.Message);
}

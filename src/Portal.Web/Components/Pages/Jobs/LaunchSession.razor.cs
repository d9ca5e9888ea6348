using Microsoft.AspNetCore.Components;
using Portal.Core.Jobs;
using Portal.Core.Sessions;
using Portal.Data.Jobs;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.JobForms;

namespace Portal.Web.Components.Pages.Jobs;

public partial class LaunchSession
{
    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "session")]
    private LaunchForm Form { get; set; } = default!;

    private CurrentUser? _user;
    private IReadOnlyList<MountRoot> _roots = [];
    private IReadOnlyList<FieldError> _errors = [];

    protected override async Task OnInitializedAsync()
    {
        Form ??= new() { Name = "jupyter", SessionKind = nameof(SessionKind.Jupyter), Gpus = 0, SubmissionKey = "form-" + Guid.NewGuid().ToString("N") };
        _user = CurrentUser.From(HttpContext.User);
        if (_user.LinuxUserName is not null)
        {
            _roots = await MountRoots.ForAsync(_user.LinuxUserName, HttpContext.RequestAborted);
        }
    }

    private async Task SubmitAsync()
    {
        if (_user?.LinuxUserName is null)
        {
            return;
        }

        if (!Enum.TryParse(Form.SessionKind, out SessionKind _))
        {
            _errors = [new(nameof(JobSpec.Session), "Choose a kind of session.")];
            return;
        }

        (JobSpec? spec, IReadOnlyList<FieldError> parseErrors) = Form.ToSpec();
        if (spec is null)
        {
            _errors = parseErrors;
            return;
        }

        // A session is a job: it is queued the way every job is.
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

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
    /// <summary>"Run again": the id of one of the user's own sessions whose every field the new form starts from.</summary>
    [SupplyParameterFromQuery(Name = "from")]
    private long? CopyFrom { get; set; }

    private FormErrors _errors = FormErrors.None;
    private long? _copiedFrom;

    /// <summary>Where the summary's links point: this page, query included (the base href is "/").</summary>
    private string FormPath => "/" + Navigation.ToBaseRelativePath(Navigation.Uri).Split('#')[0];

    protected override async Task OnInitializedAsync()
    {
        _user = CurrentUser.From(HttpContext.User);
        bool fresh = Form is null;
        // A model before the first await: the page renders while the copied session is read, and EditForm needs one.
        Form ??= new() { Name = "jupyter", SessionKind = nameof(SessionKind.Jupyter), Gpus = 0, SubmissionKey = "form-" + Guid.NewGuid().ToString("N") };
        if (fresh && CopyFrom is { } from)
        {
            // As on the job form: the owner's own session only, so nobody launches another user's settings as themselves.
            JobDetails? source = await Jobs.GetAsync(from, _user.Id, isAdmin: false, HttpContext.RequestAborted);
            if (source?.Job.Spec is not { Session: not null, IsApp: false } spec)
            {
                Form = new();
                Navigation.NotFound();
                return;
            }

            Form = LaunchForm.From(spec);
            Form.SubmissionKey = "form-" + Guid.NewGuid().ToString("N");
            _copiedFrom = from;
        }

        if (_user.LinuxUserName is not null)
        {
            _roots = await MountRoots.ForAsync(_user.LinuxUserName, HttpContext.RequestAborted);
        }
    }

    private async Task SubmitAsync(Microsoft.AspNetCore.Components.Forms.EditContext context)
    {
        if (_user?.LinuxUserName is null)
        {
            return;
        }

        (JobSpec spec, IReadOnlyList<FieldError> parseErrors) = Form.ToSpec();
        if (!Enum.TryParse(Form.SessionKind, out SessionKind _))
        {
            parseErrors = [new(nameof(JobSpec.Session), "Choose a kind of session."), .. parseErrors];
        }

        if (parseErrors.Count > 0)
        {
            // All the errors of this post at once, as on the job form.
            _errors = new([.. parseErrors, .. await Submissions.CheckAsync(_user, spec, HttpContext.RequestAborted)]);
            _errors.MarkInvalid(context, Form);
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

        _errors = new(result.Errors);

        _errors.MarkInvalid(context, Form);
    }
}

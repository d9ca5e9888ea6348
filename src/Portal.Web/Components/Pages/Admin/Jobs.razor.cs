using Microsoft.AspNetCore.Components;
using Portal.Core.Jobs;
using Portal.Data.Accounts;
using Portal.Data.Jobs;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Components.Pages.Admin;

public partial class Jobs
{
    private const int PageSize = 50;

    private static readonly JobState[] Active = [JobState.Queued, JobState.Starting, JobState.Running];

    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "user")]
    private string? UserFilter { get; set; }

    [SupplyParameterFromQuery(Name = "state")]
    private string? StateFilter { get; set; }

    [SupplyParameterFromQuery(Name = "skip")]
    private int Skip { get; set; }

    [SupplyParameterFromQuery(Name = "confirm")]
    private long? ConfirmId { get; set; }

    [SupplyParameterFromForm(FormName = "admin-job-cancel")]
    private long? JobId { get; set; }

    [SupplyParameterFromForm(FormName = "admin-job-cancel")]
    private bool Confirm { get; set; }

    // Query strings bind only simple types: an unknown user id or state name is simply no filter.
    private Guid? Owner => Guid.TryParse(UserFilter, out Guid id) ? id : null;

    private JobState? State => Enum.TryParse(StateFilter, ignoreCase: true, out JobState s) && Enum.IsDefined(s) ? s : null;

    private JobPage? _page;
    private IReadOnlyList<UserRef> _owners = [];
    private Dictionary<Guid, string> _names = [];
    private JobSummary? _confirm;
    private bool _handlingPost;
    private string? _message;
    private bool _messageIsError;

    protected override async Task OnInitializedAsync()
    {
        Skip = Math.Max(0, Skip);
        await LoadAsync();
        _handlingPost = HttpMethods.IsPost(HttpContext.Request.Method);
        long? confirmId = _handlingPost ? JobId : ConfirmId;
        if (confirmId is { } id)
        {
            CurrentUser admin = CurrentUser.From(HttpContext.User);
            JobDetails? details = await JobStore.GetAsync(id, admin.Id, admin.IsAdmin, HttpContext.RequestAborted);
            if (details is null || details.Job.State.IsFinal())
            {
                (_message, _messageIsError) = (details is null ? $"There is no job {id}." : $"Job {id} has ended already.", true);
            }
            else
            {
                Job j = details.Job;
                _confirm = new JobSummary(j.Id, details.OwnerId, j.Owner, j.Spec.Name, j.Spec.Image, j.State, j.PendingReason,
                    j.Spec.Gpus.Count, j.SubmittedAt, j.StartedAt, null, null, null);
            }
        }
    }

    private async Task CancelAsync()
    {
        if (JobId is not { } id)
        {
            (_message, _messageIsError) = ("Choose a job.", true);
            return;
        }

        if (!Confirm)
        {
            (_message, _messageIsError) = ("Tick the box to confirm.", true);
            return;
        }

        JobChangeResult result = await Cancellation.CancelAsync(CurrentUser.From(HttpContext.User), id, HttpContext.RequestAborted);
        (_confirm, _handlingPost) = (null, false);
        (_message, _messageIsError) = result.Status switch
        {
            JobChangeStatus.Applied => ($"Job {id} is cancelled.", false),
            _ => (result.Message ?? $"Job {id} could not be cancelled.", true),
        };
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        CancellationToken ct = HttpContext.RequestAborted;
        CurrentUser admin = CurrentUser.From(HttpContext.User);
        IReadOnlyCollection<JobState>? states = StateFilter == "active" ? Active : State is { } s ? [s] : null;
        _page = await JobStore.ListAsync(admin.Id, isAdmin: true, new JobListQuery(Owner, states, Skip, PageSize), ct);
        _owners = await Users.NamesAsync(withLinuxAccountOnly: true, ct);
        _names = _owners.ToDictionary(o => o.Id, o => o.Name);
    }

    private string Query(int skip) =>
        $"user={Uri.EscapeDataString(UserFilter ?? "")}&state={Uri.EscapeDataString(StateFilter ?? "")}&skip={skip}";

    private string ListLink(int skip) => $"/admin/jobs?{Query(skip)}";

    private string ConfirmLink(long id) => $"/admin/jobs?{Query(Skip)}&confirm={id}";
}

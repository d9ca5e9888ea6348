using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Portal.Core.Jobs;
using Portal.Data.Jobs;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Components.Jobs;

/// <summary>
/// A part of the job page kept current over the circuit: the job is read as its owner or an admin (another user's job
/// reads as no job, and nothing is shown), then again every few seconds until it reaches a final state.
/// </summary>
public abstract class LiveJob : ComponentBase, IAsyncDisposable
{
    private readonly CancellationTokenSource _leaving = new();
    private Task _polling = Task.CompletedTask;
    private (long JobId, int Revision)? _loaded;

    [Parameter, EditorRequired]
    public long JobId { get; set; }

    /// <summary>
    /// Changes when the page itself changed the job (a cancel posted to the page): the job is read again then, since a
    /// form post re-renders this component with the same <see cref="JobId"/>.
    /// </summary>
    [Parameter]
    public int Revision { get; set; }

    /// <summary>How often a job that has not finished is read again.</summary>
    [Parameter]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);

    [Inject]
    private AuthenticationStateProvider Authentication { get; set; } = default!;

    [Inject]
    private JobStore Jobs { get; set; } = default!;

    /// <summary>The job as last read; null before the first read or when the viewer may not see it.</summary>
    protected JobDetails? Details { get; private set; }

    /// <summary>The viewer.</summary>
    protected CurrentUser? Viewer { get; private set; }

    /// <summary>Cancelled when the page is left.</summary>
    protected CancellationToken Leaving => _leaving.Token;

    protected override async Task OnParametersSetAsync()
    {
        if (_loaded == (JobId, Revision))
        {
            return;
        }

        _loaded = (JobId, Revision);
        Viewer = CurrentUser.From((await Authentication.GetAuthenticationStateAsync()).User);
        Details = await Jobs.GetAsync(JobId, Viewer.Id, Viewer.IsAdmin, _leaving.Token);
        FollowUntilFinal();
    }

    /// <summary>Reads the job now (after this component changed it), and follows it again if it is still live.</summary>
    protected async Task ReloadAsync()
    {
        if (Viewer is null)
        {
            return;
        }

        Details = await Jobs.GetAsync(JobId, Viewer.Id, Viewer.IsAdmin, _leaving.Token);
        FollowUntilFinal();
    }

    private void FollowUntilFinal()
    {
        if (RendererInfo.IsInteractive && _polling.IsCompleted && Viewer is { } viewer && Details is { } details && !details.Job.State.IsFinal())
        {
            _polling = PollAsync(viewer, _leaving.Token);
        }
    }

    private async Task PollAsync(CurrentUser viewer, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                JobDetails? details = await Jobs.GetAsync(JobId, viewer.Id, viewer.IsAdmin, cancellationToken);
                await InvokeAsync(() =>
                {
                    Details = details;
                    StateHasChanged();
                });
                if (details is null || details.Job.State.IsFinal())
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page was left.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _leaving.CancelAsync();
        await _polling;
        _leaving.Dispose();
        GC.SuppressFinalize(this);
    }
}

using Microsoft.AspNetCore.Components;
using Portal.Launcher.Client;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Images;

namespace Portal.Web.Components.Pages.Images;

/// <summary>The signed-in person's own images: list with the jobs that use each, pull, remove (asked first).</summary>
public partial class Images
{
    private const int MaxJobsShown = 5;

    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "pull-image")]
    private PullInput Pull { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "remove-image")]
    private string? RemoveReference { get; set; }

    [SupplyParameterFromForm(FormName = "confirm-remove-image")]
    private string? ConfirmedReference { get; set; }

    private CurrentUser? _user;
    private ImageOverview? _overview;
    private string? _confirming;
    private string? _done;
    private string? _error;
    private string? _pullError;

    private IEnumerable<string> PullErrors => _pullError is null ? [] : [_pullError];

    protected override async Task OnInitializedAsync()
    {
        Pull ??= new();
        _user = CurrentUser.From(HttpContext.User);
        if (ConfirmedReference is not null)
        {
            // Blazor hands a post only to a form that is on the page: the confirmation's form must be there to take it.
            _confirming = ConfirmedReference;
        }

        await LoadAsync();
    }

    private async Task PullAsync()
    {
        if (_user?.LinuxUserName is not { } linuxUser)
        {
            return;
        }

        ImageChange change = await Library.PullAsync(_user.Actor, _user.Id, linuxUser, Pull.Reference, HttpContext.RequestAborted);
        if (change.Outcome == ImageOutcome.Invalid)
        {
            _pullError = change.Message;
        }
        else
        {
            Show(change);
            if (change.Outcome == ImageOutcome.Done)
            {
                Pull = new();
            }
        }

        await LoadAsync();
    }

    private Task AskRemoveAsync()
    {
        _confirming = RemoveReference;
        return Task.CompletedTask;
    }

    private async Task ConfirmRemoveAsync()
    {
        _confirming = null;
        if (_user?.LinuxUserName is not { } linuxUser)
        {
            return;
        }

        Show(await Library.RemoveAsync(_user.Actor, _user.Id, linuxUser, ConfirmedReference, HttpContext.RequestAborted));
        await LoadAsync();
    }

    private void Show(ImageChange change)
    {
        if (change.Outcome == ImageOutcome.Done)
        {
            _done = change.Message;
        }
        else
        {
            _error = change.Message;
        }
    }

    private async Task LoadAsync()
    {
        if (_user?.LinuxUserName is not { } linuxUser)
        {
            return;
        }

        try
        {
            _overview = await Library.ListAsync(_user.Id, linuxUser, HttpContext.RequestAborted);
        }
        catch (LauncherException e)
        {
            _overview = null;
            _error = "Your images could not be listed: " + e.Message;
        }
    }

    private sealed class PullInput
    {
        public string? Reference { get; set; }
    }
}

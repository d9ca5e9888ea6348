using Microsoft.AspNetCore.Components;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Apps;

namespace Portal.Web.Components.Pages.Apps;

public partial class NewApp
{
    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "app")]
    private AppForm Form { get; set; } = default!;

    private CurrentUser? _user;
    private AppReview? _review;

    protected override void OnInitialized()
    {
        Form ??= new();
        _user = CurrentUser.From(HttpContext.User);
    }

    private async Task SubmitAsync()
    {
        if (_user?.LinuxUserName is null)
        {
            return;
        }

        TimeSpan walltime = TimeSpan.FromMinutes(Math.Max(1, Form.Walltime));
        if (Form.Action == "start")
        {
            (long? id, AppReview review) = await Apps.SubmitAsync(_user, Form.File ?? "", Form.Name, walltime, HttpContext.RequestAborted);
            if (id is { } jobId)
            {
                Navigation.NavigateTo($"/jobs/{jobId}", forceLoad: true);
                return;
            }

            _review = review;
            return;
        }

        _review = await Apps.ReviewAsync(_user, Form.File ?? "", Form.Name, walltime, HttpContext.RequestAborted);
    }

    private sealed class AppForm
    {
        public string? File { get; set; }

        public string? Name { get; set; }

        public int Walltime { get; set; } = 60;

        public string? Action { get; set; }
    }
}

using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Components;
using Portal.Data.Accounts;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;

namespace Portal.Web.Components.Pages.Admin;

public partial class Users
{
    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "create-user")]
    private NewUserInput NewUser { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "user-action")]
    private string? Command { get; set; }

    [SupplyParameterFromForm(FormName = "second-factor")]
    private string[]? RequireRoles { get; set; }

    [SupplyParameterFromForm(FormName = "bind-sso")]
    private BindInput Binding { get; set; } = default!;

    private IReadOnlySet<string> _requiring = new HashSet<string>();
    private IReadOnlyList<UserSummary> _users = [];
    private AdminResult? _result;
    private string? _jobGroup;
    private IReadOnlySet<string> _outsideJobGroup = new HashSet<string>();

    protected override Task OnInitializedAsync()
    {
        NewUser ??= new();
        Binding ??= new();
        return LoadAsync();
    }

    private async Task SetSecondFactorAsync()
    {
        HashSet<string> wanted = [.. RequireRoles ?? []];
        _result = await Admin.SetSecondFactorRequirementAsync(Actor(), wanted, HttpContext.RequestAborted);
        await LoadAsync();
    }

    private async Task BindAsync()
    {
        _result = await Admin.BindSingleSignOnAsync(Actor(), Binding.UserName, Binding.Subject, SingleSignOn.Value.DisplayName, HttpContext.RequestAborted);
        if (_result.Succeeded)
        {
            Binding = new();
        }

        await LoadAsync();
    }

    private static string SignInMethod(UserSummary user) =>
        string.Join(", ", new[]
        {
            user.HasPortalPassword ? "portal password" : user.LinuxUserName is not null ? "Linux password" : null,
            user.HasSingleSignOn ? "single sign-on" : null,
        }.Where(m => m is not null));

    private async Task CreateAsync()
    {
        _result = await Admin.CreateAsync(Actor(), NewUser.UserName, NewUser.LinuxUserName, NewUser.MakeAdmin, HttpContext.RequestAborted, NewUser.LinuxPassword);
        if (_result.Succeeded)
        {
            NewUser = new();
        }

        await LoadAsync();
    }

    private async Task ActAsync()
    {
        string[] parts = (Command ?? "").Split(':', 2);
        if (parts.Length != 2 || !Guid.TryParse(parts[1], out Guid userId))
        {
            _result = AdminResult.Fail("Unknown action.");
            return;
        }

        CancellationToken ct = HttpContext.RequestAborted;
        _result = parts[0] switch
        {
            "disable" => await Admin.DisableAsync(Actor(), userId, ct),
            "enable" => await Admin.EnableAsync(Actor(), userId, ct),
            "reset-password" => await Admin.ResetPasswordAsync(Actor(), userId, ct),
            "make-admin" => await Admin.SetAdminAsync(Actor(), userId, true, ct),
            "revoke-admin" => await Admin.SetAdminAsync(Actor(), userId, false, ct),
            "revoke-sessions" => await Admin.RevokeSessionsAsync(Actor(), userId, ct),
            _ => AdminResult.Fail("Unknown action."),
        };
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _users = await UserStore.ListAsync(HttpContext.RequestAborted);
        _requiring = await SecondFactors.RolesRequiringAsync();
        // Flag an account outside the job group here, where it is bound, not at its first job's failure.
        _jobGroup = await JobGroups.JobGroupAsync(HttpContext.RequestAborted);
        if (_jobGroup is not null)
        {
            _outsideJobGroup = await Services.Admin.JobGroupMembership.OutsideAsync(
                _jobGroup, _users.Select(u => u.LinuxUserName).OfType<string>(), HttpContext.RequestAborted);
        }
    }

    private AuditActor Actor() =>
        new(Guid.TryParse(UserManager.GetUserId(HttpContext.User), out Guid id) ? id : null, HttpContext.User.Identity?.Name ?? "?");

    private sealed class NewUserInput
    {
        [Required(ErrorMessage = "Enter a portal user name.")]
        [RegularExpression("^[A-Za-z0-9._@-]{1,64}$", ErrorMessage = "Use letters, digits, '.', '_', '@' or '-' (at most 64).")]
        public string UserName { get; set; } = "";

        [Required(ErrorMessage = "Enter the Linux account the user's jobs run as.")]
        public string LinuxUserName { get; set; } = "";

        public bool MakeAdmin { get; set; }

        public bool LinuxPassword { get; set; }
    }

    private sealed class BindInput
    {
        [Required(ErrorMessage = "Enter the portal user name.")]
        public string UserName { get; set; } = "";

        [Required(ErrorMessage = "Enter the provider's subject.")]
        [StringLength(128)]
        public string Subject { get; set; } = "";
    }
}

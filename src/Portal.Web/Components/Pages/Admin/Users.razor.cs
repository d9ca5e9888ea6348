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

    /// <summary>The action the admin confirmed: disabling and resetting a password ask first.</summary>
    [SupplyParameterFromForm(FormName = "confirm-user-action", Name = "Command")]
    private string? ConfirmedCommand { get; set; }

    [SupplyParameterFromForm(FormName = "second-factor")]
    private string[]? RequireRoles { get; set; }

    [SupplyParameterFromForm(FormName = "bind-sso")]
    private BindInput Binding { get; set; } = default!;

    private IReadOnlySet<string> _requiring = new HashSet<string>();
    private IReadOnlyList<UserSummary> _users = [];
    private AdminResult? _result;
    private Confirmation? _confirming;
    private string? _jobGroup;
    private IReadOnlySet<string> _outsideJobGroup = new HashSet<string>();

    protected override async Task OnInitializedAsync()
    {
        NewUser ??= new();
        Binding ??= new();
        await LoadAsync();
        if (ConfirmedCommand is not null)
        {
            // Blazor hands a post only to a form that is on the page: the confirmation's form must be there to take it.
            _confirming = new("", "", ConfirmedCommand, "");
        }
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

    private Task ActAsync() => ActAsync(Command, confirmed: false);

    private Task ConfirmAsync()
    {
        _confirming = null;
        return ActAsync(ConfirmedCommand, confirmed: true);
    }

    private async Task ActAsync(string? command, bool confirmed)
    {
        string[] parts = (command ?? "").Split(':', 2);
        if (parts.Length != 2 || !Guid.TryParse(parts[1], out Guid userId))
        {
            _result = AdminResult.Fail("Unknown action.");
            return;
        }

        CancellationToken ct = HttpContext.RequestAborted;
        if (parts[0] is "disable" or "reset-password" && !confirmed)
        {
            // Both cut someone off at once (signed out everywhere; the password they know stops working): ask first.
            _confirming = await ConfirmationAsync(parts[0], userId, ct);
            _result = _confirming is null ? AdminResult.Fail("There is no such user.") : null;
            return;
        }

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

    private async Task<Confirmation?> ConfirmationAsync(string action, Guid userId, CancellationToken cancellationToken)
    {
        await LoadAsync();
        if (_users.FirstOrDefault(u => u.Id == userId) is not { } user)
        {
            return null;
        }

        return action == "disable"
            ? new($"Disable {user.UserName}?",
                $"{user.UserName} is signed out everywhere at once, their API tokens stop working, and they cannot sign in until an admin enables the account again.",
                $"disable:{userId}", $"Yes, disable {user.UserName}")
            : new($"Reset the password of {user.UserName}?",
                $"The password {user.UserName} signs in with stops working now. You get a one-time password to hand over; they choose a new one at their next sign-in.",
                $"reset-password:{userId}", $"Yes, reset the password of {user.UserName}");
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

    /// <summary>The question asked before a disable or a password reset.</summary>
    private sealed record Confirmation(string Title, string Consequence, string Command, string Yes);

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

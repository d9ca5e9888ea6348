namespace Portal.Web.Services.Audit;

/// <summary>The names of audited events; the audit page filters on them.</summary>
public static class AuditActions
{
    public const string LoginSucceeded = "login.success";
    public const string LoginFailed = "login.failure";
    public const string LoginLockedOut = "login.lockout";
    public const string LoginRefusedDisabled = "login.disabled";
    public const string Logout = "logout";
    public const string PasswordChanged = "password.change";
    public const string UserCreated = "user.create";
    public const string UserDisabled = "user.disable";
    public const string UserEnabled = "user.enable";
    public const string PasswordReset = "user.password-reset";
    public const string AdminGranted = "user.make-admin";
    public const string AdminRevoked = "user.revoke-admin";
    public const string BootstrapAdmin = "bootstrap.admin";

    public static IReadOnlyList<string> All { get; } =
    [
        LoginSucceeded, LoginFailed, LoginLockedOut, LoginRefusedDisabled, Logout, PasswordChanged,
        UserCreated, UserDisabled, UserEnabled, PasswordReset, AdminGranted, AdminRevoked, BootstrapAdmin,
    ];
}

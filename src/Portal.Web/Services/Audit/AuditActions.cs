namespace Portal.Web.Services.Audit;

/// <summary>The names of audited events; the audit page filters on them.</summary>
public static class AuditActions
{
    public const string LoginSucceeded = "login.success";
    public const string LoginFailed = "login.failure";
    public const string LoginLockedOut = "login.lockout";
    public const string LoginRefusedDisabled = "login.disabled";
    public const string LoginThrottled = "login.throttled";
    public const string LoginPassword = "login.password";
    public const string LoginSecondFactor = "login.second-factor";
    public const string LoginPasskey = "login.passkey";
    public const string LoginSingleSignOn = "login.sso";
    public const string SecondFactorChanged = "account.second-factor";
    public const string PasskeyChanged = "account.passkey";
    public const string SecondFactorRequirement = "role.require-second-factor";
    public const string UserCreatedBySignIn = "user.create-at-sign-in";
    public const string SingleSignOnBound = "user.bind-sso";
    public const string SessionsRevoked = "user.revoke-sessions";
    public const string Logout = "logout";
    public const string PasswordChanged = "password.change";
    public const string UserCreated = "user.create";
    public const string UserDisabled = "user.disable";
    public const string UserEnabled = "user.enable";
    public const string PasswordReset = "user.password-reset";
    public const string AdminGranted = "user.make-admin";
    public const string AdminRevoked = "user.revoke-admin";
    public const string BootstrapAdmin = "bootstrap.admin";
    public const string GpuDrained = "gpu.drain";
    public const string GpuUndrained = "gpu.undrain";
    public const string GpuForeignProcess = "gpu.foreign-process";
    public const string GpuForeignKill = "gpu.foreign-kill";
    public const string QuotaDefaultChanged = "quota.default";
    public const string QuotaGroupCreated = "quota.group-create";
    public const string QuotaGroupChanged = "quota.group-change";
    public const string QuotaGroupDeleted = "quota.group-delete";
    public const string QuotaMemberAdded = "quota.member-add";
    public const string QuotaMemberRemoved = "quota.member-remove";
    public const string QuotaOverrideSet = "quota.override-set";
    public const string QuotaOverrideRemoved = "quota.override-remove";
    public const string JobCancelled = "job.cancel";
    public const string SessionKept = "session.keep";
    public const string SessionIdleStopped = "session.idle-stop";
    public const string QuotaGroupIdleChanged = "quota.group.idle";
    public const string QuotaGroupJobIdleChanged = "quota.group.job-idle";
    public const string JobIdleWarned = "job.idle-warn";
    public const string JobIdleWarningCleared = "job.idle-clear";
    public const string JobIdleReclaimed = "job.idle-reclaim";
    public const string JobIdleRequeued = "job.idle-requeue";
    public const string JobKept = "job.keep";
    public const string TokenCreated = "token.create";
    public const string TokenRevoked = "token.revoke";
    public const string AppSubmitted = "app.submit";
    public const string AppRefused = "app.refuse";
    public const string BoxPresetSaved = "preset.box-save";
    public const string BoxPresetRenamed = "preset.box-rename";
    public const string BoxPresetDeleted = "preset.box-delete";
    public const string NotificationWebhookChanged = "notification.webhook";
    public const string ImagePulled = "image.pull";
    public const string ImageRemoved = "image.remove";
    public const string ImageBuilt = "image.build";
    public const string BookingCreated = "booking.create";
    public const string BookingDeleted = "booking.delete";

    public static IReadOnlyList<string> All { get; } =
    [
        LoginSucceeded, LoginFailed, LoginLockedOut, LoginRefusedDisabled, LoginThrottled, LoginPassword, LoginSecondFactor,
        LoginPasskey, LoginSingleSignOn, Logout, PasswordChanged, SecondFactorChanged, PasskeyChanged, SecondFactorRequirement,
        UserCreatedBySignIn, SingleSignOnBound, SessionsRevoked,
        UserCreated, UserDisabled, UserEnabled, PasswordReset, AdminGranted, AdminRevoked, BootstrapAdmin,
        GpuDrained, GpuUndrained, GpuForeignProcess, GpuForeignKill, QuotaDefaultChanged, QuotaGroupCreated, QuotaGroupChanged, QuotaGroupDeleted,
        QuotaMemberAdded, QuotaMemberRemoved, QuotaOverrideSet, QuotaOverrideRemoved, QuotaGroupIdleChanged, JobCancelled, SessionKept, SessionIdleStopped,
        QuotaGroupJobIdleChanged, JobIdleWarned, JobIdleWarningCleared, JobIdleReclaimed, JobIdleRequeued, JobKept,
        TokenCreated, TokenRevoked, AppSubmitted, AppRefused, BoxPresetSaved, BoxPresetRenamed, BoxPresetDeleted,
        NotificationWebhookChanged, ImagePulled, ImageRemoved, ImageBuilt, BookingCreated, BookingDeleted,
    ];
}

using System.Diagnostics;
using System.Globalization;
using Portal.Launcher.Native;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Verbs;

/// <summary>
/// <c>authenticate</c>: is this the password of this Linux account, and may the account use the portal? The
/// <c>cockpit-session</c> pattern: root checks the password with PAM (the portal's own service file), opens no session,
/// sets no credentials, and answers yes with the account, or one uniform no. Only accounts the launcher would act as
/// (<see cref="UserResolver"/>: the policy group, no privileged group, a home under the home roots) are ever handed to
/// PAM: the portal is never a password oracle for root, system or administrators' accounts.
/// </summary>
internal static class Authenticate
{
    /// <summary>
    /// Every refusal is answered no sooner than this after the request arrived: an unknown or ineligible user (no PAM
    /// at all) and a wrong password (PAM's hashing) take the same time. Above what pam_unix needs for a hash.
    /// </summary>
    public static readonly TimeSpan RefusalFloor = TimeSpan.FromSeconds(1);

    private const string Refusal = AuthenticateRefusal.Text;

    public static async Task<VerbResult> ExecuteAsync(LaunchContext ctx)
    {
        long started = Stopwatch.GetTimestamp();
        AuthenticateSpec spec = ctx.Request.Authenticate!;
        using Password password = spec.Password;
        string from = spec.RemoteAddress is null ? "" : " from " + spec.RemoteAddress;
        if (!ctx.Privileged)
        {
            throw new RequestRefusedException(
                "Linux password sign-in needs the launcher installed with its sudo rule: run without it, the launcher cannot read /etc/shadow.");
        }

        UserAccount account;
        try
        {
            account = UserResolver.Resolve(ctx.Request.User!, ctx.Policy, null, UserDatabase.FindUser, UserDatabase.FindGroupId);
        }
        catch (RequestRefusedException e)
        {
            ctx.Audit.Refused($"password not checked{from}: {e.Message}");
            return await RefuseAsync(started, Refusal);
        }

        ctx.Audit.Accepted($"PAM service '{ctx.Policy.PamService}'{from}");
        PamResult result;
        try
        {
            result = Pam.Check(ctx.Policy.PamService, account.Name, password.Utf8, spec.RemoteAddress);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            ctx.Audit.Failed("libpam: " + e.Message);
            return new VerbResult(LauncherExitCodes.InternalError,
                new LauncherResponse { Ok = false, Error = "PAM (libpam.so.0) is not installed on this host." });
        }

        if (result.Succeeded)
        {
            ctx.Audit.Done($"password and account accepted (uid {account.Uid.ToString(CultureInfo.InvariantCulture)})");
            return VerbResult.Success(new LauncherResponse
            {
                Authenticated = new AuthenticatedAccount { User = account.Name, Uid = (int)account.Uid, Gid = (int)account.Gid, Home = account.Home },
            });
        }

        ctx.Audit.Refused($"{result.Step}: {result.Message} (PAM code {result.Code.ToString(CultureInfo.InvariantCulture)})");

        // Past pam_authenticate the password was right: saying why the account cannot sign in reveals nothing new.
        string answer = result.Step != "pam_acct_mgmt" ? Refusal
            : result.Code == Pam.NewPasswordRequired ? $"The Linux password of '{account.Name}' has expired: change it on the box (passwd), then sign in."
            : $"The Linux account '{account.Name}' is locked or expired.";
        return await RefuseAsync(started, answer);
    }

    private static async Task<VerbResult> RefuseAsync(long started, string answer)
    {
        TimeSpan left = RefusalFloor - Stopwatch.GetElapsedTime(started);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left);
        }

        return new VerbResult(LauncherExitCodes.Refused, new LauncherResponse { Ok = false, Error = answer });
    }
}

using Portal.Launcher.Native;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Verbs;

/// <summary>Device ACL mode's root steps: the grant before a run, the revocation when a job ends.</summary>
internal static class DeviceGrants
{
    public static async Task GrantAsync(UserCall call)
    {
        LauncherRequest r = call.Ctx.Request;
        if (!call.Ctx.Policy.ManageDeviceAcls || Gpus(r) is not { Count: > 0 } gpus)
        {
            return;
        }

        if (!call.Ctx.Privileged)
        {
            throw new RequestRefusedException("Device ACL mode needs the privileged launcher; dev mode cannot grant GPUs.");
        }

        List<string> nodes = [.. gpus.Select(id => call.Ctx.Policy.Gpus.Single(g => g.Id == id).Node).Distinct(StringComparer.Ordinal)];
        await DeviceAcls.GrantAsync(call.Ctx.Policy, call.User, r.Job!, nodes);
        call.Ctx.Audit.Accepted("granted ACL on " + string.Join(",", nodes));
    }

    /// <summary>The GPUs a run or app-up is given: an app's services hold them together, under the one job.</summary>
    public static List<string> Gpus(LauncherRequest r) => r.Verb == LauncherVerbs.AppUp
        ? [.. r.App!.Services.SelectMany(s => s.Run.Gpus ?? []).Distinct(StringComparer.Ordinal)]
        : [.. r.Run!.Gpus ?? []];

    /// <summary>
    /// Revokes the job's ACLs (before its processes are stopped: nothing new can be opened meanwhile) and returns the
    /// nodes revoked; the caller kills whoever of the user still holds one once the job's cgroup is empty.
    /// </summary>
    public static async Task<IReadOnlyList<string>> RevokeAsync(UserCall call)
    {
        if (!call.Ctx.Policy.ManageDeviceAcls || !call.Ctx.Privileged)
        {
            return [];
        }

        IReadOnlyList<string> revoked = await DeviceAcls.RevokeAsync(call.Ctx.Policy, call.User, call.Ctx.Request.Job!);
        if (revoked.Count > 0)
        {
            call.Ctx.Audit.Accepted("revoked ACL on " + string.Join(",", revoked));
        }

        return revoked;
    }
}

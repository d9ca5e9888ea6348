using Portal.Launcher.Driver;
using Portal.Launcher.Native;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Verbs;

/// <summary>
/// <c>driver-policy</c>: the policy file's text with its <c>driver</c> field made from the loaded driver, on stdout.
/// The install writes it back (root, atomically); the launcher writes nothing, so calling it through sudo only reads
/// what every user may read (the policy is 0644, the driver's files are world-readable).
/// </summary>
internal static class DriverPolicyVerb
{
    public static async Task<VerbResult> ExecuteAsync(LaunchContext ctx)
    {
        DriverDiscovery.Result found = await DriverDiscovery.DiscoverAsync();
        if (found.Driver is null)
        {
            return new(LauncherExitCodes.OperationFailed, new LauncherResponse { Error = "No NVIDIA kernel module is loaded: there is no driver to list; the policy is unchanged." });
        }

        string path = PolicyLoader.PathFor(ctx.Privileged);
        byte[] updated = DriverPolicyText.WithDriver(SafeFiles.ReadTrusted(path, ctx.Privileged ? 0 : ctx.CallerUid, PolicyLoader.MaxBytes), found.Driver);
        try
        {
            _ = PolicyLoader.Parse(updated, path + " (with the discovered driver files)");
        }
        catch (PolicyException e)
        {
            return new(LauncherExitCodes.PolicyError, new LauncherResponse { Error = e.Message });
        }

        foreach (string skipped in found.Skipped)
        {
            StandardStreams.ErrorLine("portal-launcher: left out (not root's alone): " + skipped);
        }

        SafeFiles.WriteAll(1, updated);
        ctx.Audit.Accepted($"driver-policy: driver {found.Driver.Version}, {found.Driver.Files.Count} files");
        return VerbResult.Success(new LauncherResponse());
    }
}

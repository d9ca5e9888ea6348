using Portal.Launcher.Driver;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Verbs;

/// <summary>
/// <c>check</c>'s <c>gpu-driver</c> item: which way jobs get the driver (CDI or device nodes with the policy's driver
/// files), and whether a CUDA job can work, with the reason: a stale list (driver upgraded, a file gone, a file the
/// loaded driver has that the list lacks) says so and how to refresh it.
/// </summary>
internal static class DriverCheckItem
{
    public const string Name = "gpu-driver";

    private const string Refresh = "Run deploy/install-launcher.sh again to refresh the list from the loaded driver.";

    public static async Task<CheckItem> ForAsync(LauncherPolicy policy)
    {
        string root = BuildConstants.DriverRoot;
        if (policy.UseCdi)
        {
            return Item("ok", "CDI mode: the CDI spec's mounts and hooks give GPU jobs the driver's files (the policy's driver list is not used); "
                + "a CUDA job can work when the spec matches the loaded driver (nvidia-ctk cdi generate after every driver upgrade).");
        }

        string? loaded = DriverFileCheck.KernelVersion(root);
        if (loaded is null)
        {
            return Item("fail", "Device-node mode: no NVIDIA kernel module is loaded, so a CUDA job cannot work.");
        }

        if (policy.Driver is not { } driver)
        {
            return Item("fail", $"Device-node mode without driver files in the policy: GPU jobs get the device nodes but not libcuda or nvidia-smi of driver {loaded}, "
                + "so a CUDA job cannot work unless its image brings that exact driver's libraries. " + Refresh);
        }

        if (DriverFileCheck.Problems(driver, root) is [_, ..] problems)
        {
            return Item("fail", $"Device-node mode, driver file list stale: {string.Join("; ", problems.Take(5))}. GPU jobs are refused until it is refreshed. " + Refresh);
        }

        DriverDiscovery.Result found;
        try
        {
            found = await DriverDiscovery.DiscoverAsync();
        }
        catch (Exception e) when (e is IOException or Native.UnsafeFileException)
        {
            return Item("warn", $"Device-node mode, driver {loaded}: {driver.Files.Count} files mounted into GPU jobs, but the loader cache could not be read to compare: {e.Message}");
        }

        string[] missing = [.. (found.Driver?.Files ?? []).Select(f => f.Path).Except(driver.Files.Select(f => f.Path), StringComparer.Ordinal)];
        return missing.Length > 0
            ? Item("warn", $"Device-node mode, driver file list stale: the loaded driver {loaded} also has {string.Join(", ", missing.Take(5))}"
                + (missing.Length > 5 ? $" and {missing.Length - 5} more" : "") + ", which GPU jobs do not get. " + Refresh)
            : Item("ok", $"Device-node mode: driver {loaded}, {driver.Files.Count} files mounted read-only into every GPU job; a CUDA job can work.");
    }

    private static CheckItem Item(string status, string detail) => new() { Name = Name, Status = status, Detail = detail };
}

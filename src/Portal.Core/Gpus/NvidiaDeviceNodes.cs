using System.Globalization;

namespace Portal.Core.Gpus;

/// <summary>
/// Finds the <c>/dev/nvidiaN</c> node of a GPU. N is the driver's minor number, which usually but not always equals
/// the nvidia-smi index, so it is read from <c>/proc/driver/nvidia/gpus/&lt;pci&gt;/information</c> when the driver
/// exposes it, and only then guessed from the index.
/// </summary>
/// <param name="procRoot">The proc file system root; tests point it at a folder of their own.</param>
public sealed class NvidiaDeviceNodes(string procRoot = "/proc")
{
    /// <summary>The device node path for the GPU at <paramref name="pciBusId"/> with index <paramref name="index"/>.</summary>
    public string Resolve(string? pciBusId, int index)
    {
        var minor = pciBusId is null ? null : ReadMinor(pciBusId);
        return "/dev/nvidia" + (minor ?? index).ToString(CultureInfo.InvariantCulture);
    }

    private int? ReadMinor(string pciBusId)
    {
        // nvidia-smi prints an 8-digit PCI domain ("00000000:83:00.0"); the driver's folder uses 4 ("0000:83:00.0").
        var shortId = pciBusId.Length > 12 ? pciBusId[^12..] : pciBusId;
        var path = Path.Combine(procRoot, "driver", "nvidia", "gpus", shortId.ToLowerInvariant(), "information");
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith("Device Minor:", StringComparison.Ordinal)
                    && int.TryParse(line["Device Minor:".Length..].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var minor))
                {
                    return minor;
                }
            }
        }
        catch (IOException)
        {
            // No such file on this driver or in a container: fall back to the index.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}

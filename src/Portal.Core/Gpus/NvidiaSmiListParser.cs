using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.Core.Gpus;

/// <summary>Reads <c>nvidia-smi -L</c>, the only cheap place that names MIG devices and their UUIDs:
/// <code>
/// GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)
///   MIG 3g.40gb     Device  0: (UUID: MIG-...)
/// </code></summary>
public static partial class NvidiaSmiListParser
{
    /// <summary>The MIG devices listed under each GPU, keyed by the GPU's UUID. GPUs without MIG map to an empty list.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<MigDevice>> ParseMigDevices(string text)
    {
        var result = new Dictionary<string, IReadOnlyList<MigDevice>>(StringComparer.Ordinal);
        List<MigDevice>? current = null;
        string? parentUuid = null;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            var gpu = GpuLine().Match(line);
            if (gpu.Success)
            {
                parentUuid = gpu.Groups["uuid"].Value;
                current = [];
                result[parentUuid] = current;
                continue;
            }

            var mig = MigLine().Match(line);
            if (mig.Success && current is not null && parentUuid is not null)
            {
                current.Add(new MigDevice(
                    parentUuid,
                    int.Parse(mig.Groups["index"].Value, CultureInfo.InvariantCulture),
                    mig.Groups["uuid"].Value,
                    mig.Groups["profile"].Value));
            }
        }

        return result;
    }

    [GeneratedRegex(@"^GPU\s+\d+:.*\(UUID:\s*(?<uuid>GPU-[0-9A-Fa-f-]+)\)\s*$")]
    private static partial Regex GpuLine();

    [GeneratedRegex(@"^\s+MIG\s+(?<profile>\S+)\s+Device\s+(?<index>\d+):\s*\(UUID:\s*(?<uuid>MIG-[0-9A-Za-z/-]+)\)\s*$")]
    private static partial Regex MigLine();
}

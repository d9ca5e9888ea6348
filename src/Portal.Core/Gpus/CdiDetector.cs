using System.Text.Json;

namespace Portal.Core.Gpus;

/// <summary>What the host's Container Device Interface specs offer for NVIDIA GPUs.</summary>
/// <param name="SpecFiles">The spec files that declare <c>kind: nvidia.com/gpu</c>.</param>
/// <param name="DeviceNames">The device names they declare (e.g. <c>0</c>, <c>GPU-...</c>, <c>0:1</c>, <c>all</c>).</param>
public sealed record CdiInventory(IReadOnlyList<string> SpecFiles, IReadOnlySet<string> DeviceNames)
{
    /// <summary>The kind NVIDIA's toolkit (<c>nvidia-ctk cdi generate</c>) writes.</summary>
    public const string NvidiaGpuKind = "nvidia.com/gpu";

    /// <summary>True when podman can be given <c>--device nvidia.com/gpu=...</c>.</summary>
    public bool HasNvidiaSpec => SpecFiles.Count > 0;

    /// <summary>How a container gets <paramref name="gpu"/>: the CDI name when the spec declares the GPU by UUID
    /// (preferred: stable across reboots) or by index; otherwise null, and the caller falls back to device nodes.</summary>
    public string? CdiNameFor(GpuDevice gpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (DeviceNames.Contains(gpu.Uuid))
        {
            return $"{NvidiaGpuKind}={gpu.Uuid}";
        }

        var index = gpu.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return DeviceNames.Contains(index) ? $"{NvidiaGpuKind}={index}" : null;
    }
}

/// <summary>
/// Looks for CDI specs for NVIDIA GPUs in the standard folders (<c>/etc/cdi</c> for static specs,
/// <c>/var/run/cdi</c> for generated ones). Reads only the two things it needs, <c>kind</c> and each device's
/// <c>name</c>, so it needs no YAML library: nvidia-ctk writes plain block YAML, and JSON specs are parsed properly.
/// </summary>
/// <param name="roots">The folders to search; the standard ones when null.</param>
public sealed class CdiDetector(IReadOnlyList<string>? roots = null)
{
    /// <summary>The folders CDI consumers such as podman search.</summary>
    public static IReadOnlyList<string> StandardRoots { get; } = ["/etc/cdi", "/var/run/cdi"];

    /// <summary>Scans the folders; missing or unreadable folders and files count as no spec.</summary>
    public CdiInventory Detect()
    {
        var files = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots ?? StandardRoots)
        {
            foreach (var file in SpecFilesIn(root))
            {
                var spec = TryRead(file);
                if (spec is { Kind: CdiInventory.NvidiaGpuKind })
                {
                    files.Add(file);
                    names.UnionWith(spec.DeviceNames);
                }
            }
        }

        return new CdiInventory(files, names);
    }

    private static IEnumerable<string> SpecFilesIn(string root)
    {
        if (!Directory.Exists(root))
        {
            return [];
        }

        return Directory.EnumerateFiles(root)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal)
                || f.EndsWith(".yml", StringComparison.Ordinal)
                || f.EndsWith(".json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
    }

    private static CdiSpecSummary? TryRead(string file)
    {
        try
        {
            var text = File.ReadAllText(file);
            return file.EndsWith(".json", StringComparison.Ordinal) ? ReadJson(text) : CdiYamlReader.Read(text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    private static CdiSpecSummary? ReadJson(string text)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var names = new List<string>();
        if (root.TryGetProperty("devices", out var devices) && devices.ValueKind == JsonValueKind.Array)
        {
            foreach (var device in devices.EnumerateArray())
            {
                if (device.ValueKind == JsonValueKind.Object
                    && device.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
                {
                    names.Add(name.GetString()!);
                }
            }
        }

        return new CdiSpecSummary(kind.GetString()!, names);
    }
}

/// <summary>The two facts of a CDI spec the portal uses.</summary>
internal sealed record CdiSpecSummary(string? Kind, IReadOnlyList<string> DeviceNames);

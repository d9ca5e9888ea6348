using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.Core.Gpus;

/// <summary>A physical GPU as the driver reports it. Identify it by <see cref="Uuid"/>: indexes can change across reboots.</summary>
/// <param name="Index">The driver's index (what <c>nvidia-smi</c> and <c>CUDA_VISIBLE_DEVICES</c> count from).</param>
/// <param name="Uuid">The stable identifier, e.g. <c>GPU-1b2c...</c>.</param>
/// <param name="Name">The product name, e.g. <c>NVIDIA H100 80GB HBM3</c>.</param>
/// <param name="MemoryTotalMiB">Framebuffer memory in MiB, or null when the driver does not say.</param>
/// <param name="PciBusId">The PCI address (e.g. <c>00000000:83:00.0</c>), or null when unknown.</param>
/// <param name="DeviceNode">The character device for this GPU, e.g. <c>/dev/nvidia0</c>.</param>
/// <param name="MigDevices">The MIG instances carved out of this GPU; empty when MIG is off.</param>
public sealed record GpuDevice(
    int Index,
    string Uuid,
    string Name,
    long? MemoryTotalMiB,
    string? PciBusId,
    string DeviceNode,
    IReadOnlyList<MigDevice> MigDevices);

/// <summary>A MIG instance of a GPU, as <c>nvidia-smi -L</c> lists it.</summary>
/// <param name="ParentUuid">The UUID of the GPU it belongs to.</param>
/// <param name="Index">The MIG device index within the parent GPU.</param>
/// <param name="Uuid">The MIG UUID, e.g. <c>MIG-...</c>.</param>
/// <param name="Profile">The profile, e.g. <c>3g.40gb</c> or <c>1c.3g.71gb</c>.</param>
public sealed partial record MigDevice(string ParentUuid, int Index, string Uuid, string Profile)
{
    /// <summary>The instance's memory as its profile names it (<c>3g.40gb</c>: 40 GiB = 40960 MiB), or null when the
    /// profile names none. The profile's figure is nominal (the driver gives an instance a little less); it is what
    /// <c>nvidia-smi -L</c> says without another query.</summary>
    public long? NominalMemoryMiB =>
        ProfileMemory().Match(Profile) is { Success: true } match
        && long.TryParse(match.Groups["gb"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var gb)
            ? gb * 1024
            : null;

    /// <summary>How the portal names the instance: the GPU's product name and the profile,
    /// e.g. <c>NVIDIA H100 80GB HBM3 MIG 3g.40gb</c>.</summary>
    public string NameOn(string parentName) => $"{parentName} MIG {Profile}";

    // "3g.40gb", "1c.3g.71gb", "1g.10gb+me": the memory is the last dotted part before any "+" option.
    [GeneratedRegex(@"(?:^|\.)(?<gb>\d{1,5})gb(?:\+.*)?$")]
    private static partial Regex ProfileMemory();
}

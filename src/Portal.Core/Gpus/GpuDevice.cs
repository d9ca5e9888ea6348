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
public sealed record MigDevice(string ParentUuid, int Index, string Uuid, string Profile);

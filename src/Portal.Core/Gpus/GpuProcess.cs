namespace Portal.Core.Gpus;

/// <summary>A compute process on a GPU, from <c>nvidia-smi --query-compute-apps</c>.</summary>
/// <param name="GpuUuid">The GPU (or MIG device's parent GPU) the process runs on.</param>
/// <param name="Pid">The host PID (nvidia-smi reports host PIDs even for containerised processes).</param>
/// <param name="ProcessName">The executable as the driver names it.</param>
/// <param name="UsedMemoryMiB">GPU memory the process holds, or null when unavailable.</param>
public sealed record GpuProcess(string GpuUuid, int Pid, string ProcessName, long? UsedMemoryMiB);

namespace Portal.Core.Gpus;

/// <summary>Who a host process belongs to.</summary>
/// <param name="Pid">The host PID.</param>
/// <param name="Uid">The real user id from <c>/proc/&lt;pid&gt;/status</c>.</param>
/// <param name="ContainerId">The full podman container id when the process runs in a podman container, else null.</param>
/// <param name="CgroupJobId">The portal job whose launcher cgroup holds the process (<see cref="JobCgroupPath"/>), else
/// null. Where podman makes no cgroup of its own (rootless on cgroup v1) this is the only trace of the job.</param>
public sealed record ProcessOwner(int Pid, uint Uid, string? ContainerId, long? CgroupJobId = null);

/// <summary>A GPU process with its owner and, when it belongs to one, the portal job.</summary>
/// <param name="Process">What nvidia-smi reported.</param>
/// <param name="Owner">Who owns it; null when the process ended before /proc was read or /proc hides it.</param>
/// <param name="JobId">The job whose container or job cgroup runs the process; null for processes started outside the
/// portal.</param>
public sealed record AttributedGpuProcess(GpuProcess Process, ProcessOwner? Owner, long? JobId);

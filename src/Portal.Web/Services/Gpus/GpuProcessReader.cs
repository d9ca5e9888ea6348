using System.Collections.Concurrent;
using System.Globalization;
using Portal.Core.Gpus;
using Portal.Core.Processes;
using Portal.Web.Services.Launcher;

namespace Portal.Web.Services.Gpus;

/// <summary>
/// The compute processes on each GPU: <c>nvidia-smi --query-compute-apps</c> for the host PIDs, <c>/proc</c> for their
/// owners, podman containers and job cgroups, <c>getent</c> for the owners' names.
/// </summary>
internal sealed class GpuProcessReader(NvidiaSmiProcessQuery query, ProcessOwnerResolver owners, LauncherPolicyFacts launcherPolicy)
{
    private static readonly TimeSpan GetentTimeout = TimeSpan.FromSeconds(5);

    // UIDs rarely change names; a lookup per process per refresh would start getent every few seconds.
    private readonly ConcurrentDictionary<uint, string?> _names = new();

    /// <summary>The processes per GPU UUID; a process in the container of a job in
    /// <paramref name="jobIdByContainerId"/>, or in a job's launcher cgroup, carries that job's id.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<GpuProcessInfo>>> ReadAsync(
        IReadOnlyDictionary<string, long> jobIdByContainerId, CancellationToken cancellationToken)
    {
        var processes = await query.QueryAsync(cancellationToken);
        var attributed = owners.Attribute(processes, jobIdByContainerId, (await launcherPolicy.GetAsync(cancellationToken))?.CgroupParent);
        var byGpu = new Dictionary<string, IReadOnlyList<GpuProcessInfo>>(StringComparer.Ordinal);
        foreach (var group in attributed.GroupBy(p => p.Process.GpuUuid, StringComparer.Ordinal))
        {
            var list = new List<GpuProcessInfo>();
            foreach (var p in group)
            {
                var uid = p.Owner?.Uid;
                var name = uid is { } u ? await NameOfAsync(u, cancellationToken) : null;
                list.Add(new GpuProcessInfo(p.Process.Pid, p.Process.ProcessName, p.Process.UsedMemoryMiB, uid, name, p.JobId));
            }

            byGpu[group.Key] = list;
        }

        return byGpu;
    }

    private async Task<string?> NameOfAsync(uint uid, CancellationToken cancellationToken)
    {
        if (_names.TryGetValue(uid, out var cached))
        {
            return cached;
        }

        // getent goes through NSS, so LDAP/SSSD accounts resolve too. A UID with no account stays nameless.
        var result = await ExternalCommand.RunAsync(
            "getent", ["passwd", uid.ToString(CultureInfo.InvariantCulture)], GetentTimeout, cancellationToken);
        var name = result.Succeeded ? result.StandardOutput.Split(':')[0].Trim() : null;
        _names[uid] = string.IsNullOrEmpty(name) ? null : name;
        return _names[uid];
    }
}

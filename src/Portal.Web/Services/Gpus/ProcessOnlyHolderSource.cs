using System.Collections.Concurrent;
using System.Globalization;
using Portal.Core.Gpus;
using Portal.Core.Processes;

namespace Portal.Web.Services.Gpus;

/// <summary>
/// Processes from <c>nvidia-smi --query-compute-apps</c>, owners from <c>/proc</c>, and no holders: the job ledger
/// does not exist yet, so every GPU is reported free rather than guessing a holder from whoever runs on it.
/// </summary>
internal sealed class ProcessOnlyHolderSource(NvidiaSmiProcessQuery query, ProcessOwnerResolver owners) : IGpuHolderSource
{
    private static readonly TimeSpan GetentTimeout = TimeSpan.FromSeconds(5);

    // UIDs rarely change names; a lookup per process per refresh would start getent every few seconds.
    private readonly ConcurrentDictionary<uint, string?> _names = new();

    public async Task<GpuOccupancy> ReadAsync(CancellationToken cancellationToken)
    {
        var processes = await query.QueryAsync(cancellationToken);
        var attributed = owners.Attribute(processes, new Dictionary<string, long>());
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

        return new GpuOccupancy(new Dictionary<string, GpuHolder>(), byGpu, null);
    }

    private async Task<string?> NameOfAsync(uint uid, CancellationToken cancellationToken)
    {
        if (_names.TryGetValue(uid, out var cached))
        {
            return cached;
        }

        // getent goes through NSS, so LDAP/SSSD accounts resolve too. A UID with no account stays nameless.
        var result = await ToolProcess.RunAsync(
            "getent", ["passwd", uid.ToString(CultureInfo.InvariantCulture)], GetentTimeout, cancellationToken);
        var name = result.Succeeded ? result.StandardOutput.Split(':')[0].Trim() : null;
        _names[uid] = string.IsNullOrEmpty(name) ? null : name;
        return _names[uid];
    }
}

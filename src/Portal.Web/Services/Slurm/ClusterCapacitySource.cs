using Microsoft.Extensions.Options;
using Portal.Core.Jobs;
using Portal.Jobs;
using Portal.Web.Services.Launcher;

namespace Portal.Web.Services.Slurm;

/// <summary>What a job can get when jobs go to Slurm (null on one box): the submit check's view of the cluster, from
/// the node monitor's last sinfo (read now if there is none yet).</summary>
public sealed class ClusterCapacitySource(IOptions<JobBackendOptions> backend, IServiceProvider services)
{
    public async Task<ClusterCapacity?> CurrentAsync(CancellationToken cancellationToken)
    {
        if (!backend.Value.IsSlurm)
        {
            return null;
        }

        var monitor = services.GetRequiredService<ClusterMonitor>();
        var frame = monitor.Current.ReadAt is null ? await monitor.RefreshAsync(cancellationToken) : monitor.Current;
        var policy = services.GetService<LauncherPolicyFacts>() is { } facts ? await facts.GetAsync(cancellationToken) : null;
        return new ClusterCapacity(frame.MaxGpusPerNode, Sessions: policy?.SlurmSessions == true);
    }
}

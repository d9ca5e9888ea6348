using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Slurm.Tests.Infrastructure;

/// <summary>The Slurm jobs a launcher test submitted: each cancelled through the launcher at the end, as its owner, and
/// waited for until Slurm says it ended (a test that failed half-way leaves nothing running).</summary>
public sealed class SubmittedJobs(SlurmHost host)
{
    private readonly List<(string User, string Job, long Id)> _submitted = [];

    public async Task<long> SubmitAsync(SlurmTestUser user, string job, RunSpec spec, int gpus = 0)
    {
        var submission = await host.Launcher.SubmitAsync(user.Name, job, spec, new SlurmSpec { Gpus = gpus, WalltimeMinutes = 10, Partitions = [LocalSlurmCluster.Partition] });
        _submitted.Add((user.Name, job, submission.SlurmJobId));
        return submission.SlurmJobId;
    }

    public async Task<long> SubmitAppAsync(SlurmTestUser user, string job, AppSpec app)
    {
        var submission = await host.Launcher.SubmitAppAsync(user.Name, job, app, new SlurmSpec
        {
            Gpus = app.Services.Sum(s => s.GpuCount ?? 0), WalltimeMinutes = 10, Partitions = [LocalSlurmCluster.Partition],
        });
        _submitted.Add((user.Name, job, submission.SlurmJobId));
        return submission.SlurmJobId;
    }

    public async Task CancelAllAsync()
    {
        foreach (var (user, job, id) in _submitted)
        {
            try
            {
                await host.Launcher.CancelAsync(user, job, id);
            }
            catch (LauncherException)
            {
                // Ended already.
            }
        }

        foreach (var (_, _, id) in _submitted)
        {
            await LocalSlurmCluster.WaitForAsync(async () => (await SlurmJobs.ReadAsync(id))?.State is null or "CANCELLED" or "COMPLETED" or "FAILED",
                TimeSpan.FromSeconds(60), $"Slurm job {id} to end");
        }
    }
}

using Portal.Launcher.Protocol;

namespace Portal.Launcher.Client;

public sealed partial class ProcessLauncher
{
    public async Task<SlurmSubmission> SubmitAsync(string user, string job, RunSpec spec, SlurmSpec slurm, CancellationToken cancellationToken = default)
    {
        LauncherResponse r = await CallAsync(Request(LauncherVerbs.SlurmSubmit, user, job) with { Run = spec, Slurm = slurm }, cancellationToken);
        return new SlurmSubmission(
            r.SlurmJobId ?? throw new LauncherException(LauncherFailure.Internal, "The launcher returned no Slurm job id.", 0, ""),
            r.Warnings ?? []);
    }

    public Task CancelAsync(string user, string job, long slurmJobId, CancellationToken cancellationToken = default) =>
        CallAsync(Request(LauncherVerbs.SlurmCancel, user, job) with { Slurm = new SlurmSpec { JobId = slurmJobId } }, cancellationToken);

    public IAsyncEnumerable<string> StreamLogAsync(string user, string job, long slurmJobId, LogsSpec options, CancellationToken cancellationToken = default) =>
        StreamAsync(Request(LauncherVerbs.SlurmLog, user, job) with { Slurm = new SlurmSpec { JobId = slurmJobId } }, options, cancellationToken);
}

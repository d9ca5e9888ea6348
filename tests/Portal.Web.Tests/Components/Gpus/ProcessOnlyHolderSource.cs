using Portal.Core.Gpus;
using Portal.Web.Services.Gpus;

namespace Portal.Web.Tests.Components.Gpus;

/// <summary>Processes and no holders: for a GPU view without a job ledger (these component tests' live dashboard),
/// where every GPU is reported free rather than guessing a holder from whoever runs on it.</summary>
internal sealed class ProcessOnlyHolderSource(NvidiaSmiProcessQuery query, ProcessOwnerResolver owners) : IGpuHolderSource
{
    // No launcher here: processes are matched to no job.
    private readonly GpuProcessReader _processes = new(query, owners,
        new Portal.Web.Services.Launcher.LauncherPolicyFacts(null, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Portal.Web.Services.Launcher.LauncherPolicyFacts>.Instance));

    public async Task<GpuOccupancy> ReadAsync(CancellationToken cancellationToken) =>
        GpuOccupancy.None with { Processes = await _processes.ReadAsync(new Dictionary<string, long>(), cancellationToken) };
}

using Portal.Core.Processes;

namespace Portal.Core.Gpus;

/// <summary>
/// Lists the compute processes on every GPU with one <c>nvidia-smi --query-compute-apps</c> call.
/// Unlike the metrics this is not a looping process: with no processes nvidia-smi prints nothing at all, so a
/// looping reader could never tell "nothing is running now" from "no round printed yet". Call it at the pace the
/// page that shows processes needs (seconds), not per sample.
/// </summary>
public sealed class NvidiaSmiProcessQuery(NvidiaSmiSamplerOptions options)
{
    /// <summary>The compute processes now on the GPUs; empty on a box without nvidia-smi.</summary>
    /// <exception cref="InvalidOperationException">nvidia-smi exists but failed.</exception>
    /// <exception cref="TimeoutException">nvidia-smi did not answer within <see cref="NvidiaSmiSamplerOptions.CommandTimeout"/>.</exception>
    public async Task<IReadOnlyList<GpuProcess>> QueryAsync(CancellationToken cancellationToken)
    {
        var searchPath = options.EffectiveSearchPath;
        var executable = ExecutableLocator.Find(NvidiaSmiSampler.ExecutableName, searchPath);
        if (executable is null)
        {
            return [];
        }

        var info = ExternalCommand.CleanStartInfo(
            executable,
            ["--query-compute-apps=" + NvidiaSmiComputeAppsQuery.FieldList, "--format=csv,noheader,nounits"],
            searchPath);
        var result = await ExternalCommand.RunAsync(info, options.CommandTimeout, cancellationToken);
        return result.ExitCode == 0
            ? NvidiaSmiComputeAppsQuery.Parse(result.StandardOutput, hasHeader: false)
            : throw new InvalidOperationException(NvidiaSmiSampler.Describe("--query-compute-apps", result));
    }
}

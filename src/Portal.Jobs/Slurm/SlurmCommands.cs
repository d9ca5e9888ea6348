using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Portal.Core.Slurm;

namespace Portal.Jobs.Slurm;

/// <summary>A Slurm command that failed: non-zero exit, or anything at all on stderr.</summary>
public sealed class SlurmCommandException(string message) : Exception(message);

/// <summary>
/// The portal's read-only Slurm queries, run as the portal's own account with an argv list (never a shell), a clean
/// environment (SLURM_CONF when configured, TZ=UTC so times are read right) and a deadline. Slurm's tools can exit 0
/// after a failure and say so only on stderr (ood_core's lesson), so any stderr is a failure here, except the one
/// answer that is not: a job id Slurm no longer knows.
/// </summary>
public sealed partial class SlurmCommands(IOptions<SlurmOptions> options, ILogger<SlurmCommands> logger)
{
    private const string UnknownJob = "Invalid job id specified";

    private readonly SlurmOptions _options = options.Value;

    /// <summary>The jobs with these ids, as one squeue; jobs Slurm has forgotten are simply absent.</summary>
    public async Task<IReadOnlyList<SqueueJob>> QueueAsync(IReadOnlyCollection<long> jobIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        if (jobIds.Count == 0)
        {
            return [];
        }

        var output = await RunAsync("squeue", SqueueQuery.Arguments(jobIds), cancellationToken, unknownJobIsEmpty: true);
        return SqueueQuery.Parse(output);
    }

    /// <summary>The job's details (exit code, GPU indexes), or null when Slurm has forgotten it.</summary>
    public async Task<ScontrolJob?> JobAsync(long jobId, CancellationToken cancellationToken)
    {
        var output = await RunAsync("scontrol", ScontrolJobQuery.Arguments(jobId), cancellationToken, unknownJobIsEmpty: true);
        return ScontrolJobQuery.Parse(output).FirstOrDefault(j => j.JobId == jobId);
    }

    /// <summary>Every node, for the dashboard.</summary>
    public async Task<IReadOnlyList<SlurmNode>> NodesAsync(CancellationToken cancellationToken) =>
        SinfoQuery.Parse(await RunAsync("sinfo", SinfoQuery.Arguments(), cancellationToken));

    /// <summary>What the accounting database says about these jobs.</summary>
    public async Task<IReadOnlyList<SacctJob>> AccountingAsync(IReadOnlyCollection<long> jobIds, CancellationToken cancellationToken) =>
        jobIds.Count == 0 ? [] : SacctQuery.Parse(await RunAsync("sacct", SacctQuery.Arguments(jobIds), cancellationToken));

    /// <summary>True when the cluster keeps accounting in slurmdbd (so sacct can answer for forgotten jobs).</summary>
    public async Task<bool> HasAccountingAsync(CancellationToken cancellationToken)
    {
        var config = await RunAsync("scontrol", ["show", "config"], cancellationToken);
        return config.Split('\n').Any(line => line.StartsWith("AccountingStorageType", StringComparison.Ordinal)
            && line.Contains("accounting_storage/slurmdbd", StringComparison.Ordinal));
    }

    /// <summary>Runs one tool and returns its stdout.</summary>
    /// <exception cref="SlurmCommandException">It failed, timed out, or wrote to stderr.</exception>
    public async Task<string> RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool unknownJobIsEmpty = false)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var psi = new ProcessStartInfo(Path.Combine(_options.BinDirectory, tool))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/bin:/bin";
        psi.Environment["LANG"] = "C.UTF-8";
        psi.Environment["TZ"] = "UTC";
        if (_options.ConfigFile is { } config)
        {
            psi.Environment["SLURM_CONF"] = config;
        }

        var started = Stopwatch.GetTimestamp();
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new SlurmCommandException($"Could not start {psi.FileName}.");
        }
        catch (Win32Exception e)
        {
            throw new SlurmCommandException($"Could not start {psi.FileName}: {e.Message}");
        }

        using (process)
        {
            process.StandardInput.Close();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_options.CommandTimeout);
            var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
            var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
                var (output, errors) = (await stdout, await stderr);
                LogRan(tool, process.ExitCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (unknownJobIsEmpty && errors.Contains(UnknownJob, StringComparison.Ordinal) && output.Trim().Length == 0)
                {
                    return "";
                }

                if (process.ExitCode != 0 || errors.Trim().Length > 0)
                {
                    throw new SlurmCommandException($"{tool} {(process.ExitCode != 0 ? $"exited {process.ExitCode}" : "wrote to stderr")}: {Summary(errors)}");
                }

                return output;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                throw new SlurmCommandException($"{tool} did not answer within {_options.CommandTimeout.TotalSeconds:0} s.");
            }
        }
    }

    private static string Summary(string stderr)
    {
        var text = stderr.Trim();
        return text.Length > 1000 ? text[..1000] + "..." : text;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Tool} exited {ExitCode} after {Milliseconds:0.0} ms")]
    private partial void LogRan(string tool, int exitCode, double milliseconds);
}

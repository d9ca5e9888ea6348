using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Portal.Core.Processes;

namespace Portal.Core.Gpus;

/// <summary>
/// Keeps one long-lived <c>nvidia-smi --query-gpu=... -lms N</c> process running and publishes each complete round
/// of samples. Starting a process per sample costs tens of milliseconds of driver initialisation each time; one
/// looping process costs nothing between rounds. If nvidia-smi dies it is restarted with exponential backoff;
/// if there is no nvidia-smi the box is reported as having zero GPUs, which is a normal CPU-only setup.
/// </summary>
/// <remarks>A server-wide singleton: subscribers read <see cref="Current"/> and listen to
/// <see cref="SnapshotPublished"/>, which is raised on the sampler's own task, never on a UI thread. Handlers must
/// return quickly and must not throw (hand the snapshot to the UI with <c>InvokeAsync</c> and return): an exception
/// from a handler ends the sampling loop and resurfaces from <see cref="DisposeAsync"/>.</remarks>
public sealed class NvidiaSmiSampler : IAsyncDisposable
{
    internal const string ExecutableName = "nvidia-smi";

    private readonly NvidiaSmiSamplerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly NvidiaDeviceNodes _deviceNodes;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposing;
    private GpuSnapshot _current;
    private Task? _loop;
    private int _processStarts;

    public NvidiaSmiSampler(NvidiaSmiSamplerOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _timeProvider = timeProvider;
        _deviceNodes = new NvidiaDeviceNodes(options.ProcRoot);
        _current = GpuSnapshot.Empty(GpuDiscoveryStatus.Starting, timeProvider.GetUtcNow(), null);
    }

    /// <summary>Raised after every complete round of samples and on every status change.</summary>
    public event EventHandler<GpuSnapshot>? SnapshotPublished;

    /// <summary>The latest snapshot; never null.</summary>
    public GpuSnapshot Current => Volatile.Read(ref _current);

    /// <summary>How many times the looping nvidia-smi process has been started (1 while it has never died).</summary>
    public int ProcessStarts => Volatile.Read(ref _processStarts);

    /// <summary>Starts sampling in the background. Call once.</summary>
    public void Start()
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The sampler is already started.");
        }

        _loop = Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <summary>Stops sampling and kills nvidia-smi. Safe to call more than once, even at the same time.</summary>
    public async ValueTask DisposeAsync()
    {
        // A web host can be stopped twice at once (a test host and the app's own RunAsync): the second
        // caller waits for the first disposal instead of touching a disposed token source.
        if (Interlocked.Exchange(ref _disposing, 1) == 1)
        {
            await _disposed.Task;
            return;
        }

        try
        {
            await _stopping.CancelAsync();
            if (_loop is not null)
            {
                await _loop;
            }

            _stopping.Dispose();
            _disposed.SetResult();
        }
        catch (Exception e)
        {
            _disposed.SetException(e);
            throw;
        }
    }

    internal static string Describe(string what, CommandResult result)
    {
        var detail = result.StandardError.Trim();
        if (detail.Length == 0)
        {
            detail = result.StandardOutput.Trim();
        }

        return string.Create(
            CultureInfo.InvariantCulture,
            $"nvidia-smi {what} exited with code {result.ExitCode}: {FirstLine(detail)}");
    }

    private static string FirstLine(string text)
    {
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? text : text[..newline];
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var consecutiveFailures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var searchPath = _options.EffectiveSearchPath;
            var executable = ExecutableLocator.Find(ExecutableName, searchPath);
            TimeSpan delay;
            if (executable is null)
            {
                consecutiveFailures = 0;
                Publish(GpuSnapshot.Empty(
                    GpuDiscoveryStatus.NoDriver, _timeProvider.GetUtcNow(), "No GPU detected: nvidia-smi is not installed."));
                delay = _options.NoDriverRecheck;
            }
            else
            {
                string problem;
                try
                {
                    (var producedSamples, problem) = await SampleUntilExitAsync(executable, searchPath, cancellationToken);
                    // A process that worked for a while and then died starts the backoff over.
                    consecutiveFailures = producedSamples ? 1 : consecutiveFailures + 1;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or FormatException
                                              or Win32Exception or TimeoutException)
                {
                    consecutiveFailures++;
                    problem = e.Message;
                }

                var last = Current;
                Publish(new GpuSnapshot(GpuDiscoveryStatus.Failing, last.Devices, [], _timeProvider.GetUtcNow(), problem));
                delay = _options.RestartBackoff.DelayAfter(consecutiveFailures);
            }

            try
            {
                await Task.Delay(delay, _timeProvider, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Runs <c>-L</c> for the MIG layout, then the looping query until it exits.</summary>
    /// <returns>Whether at least one round was published, and why the process ended.</returns>
    private async Task<(bool ProducedSamples, string Problem)> SampleUntilExitAsync(
        string executable, string? searchPath, CancellationToken cancellationToken)
    {
        var list = await ExternalCommand.RunAsync(
            ExternalCommand.CleanStartInfo(executable, ["-L"], searchPath), _options.CommandTimeout, cancellationToken);
        if (list.ExitCode != 0)
        {
            return (false, Describe("-L", list));
        }

        var migDevices = NvidiaSmiListParser.ParseMigDevices(list.StandardOutput);
        var intervalMs = Math.Max(1, (int)_options.Interval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var info = ExternalCommand.CleanStartInfo(
            executable,
            ["--query-gpu=" + NvidiaSmiGpuQuery.FieldList, "--format=csv,noheader,nounits", "-lms", intervalMs],
            searchPath);

        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start nvidia-smi.");
        Interlocked.Increment(ref _processStarts);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var producedSamples = false;
        // Device nodes do not change while the driver stays loaded: resolve each GPU once per nvidia-smi run.
        var deviceNodes = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var round = new List<GpuQueryRow>();
            while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Trim().Length == 0)
                {
                    continue;
                }

                var row = NvidiaSmiGpuQuery.ParseLine(line, _timeProvider.GetUtcNow());
                // A repeated index means the previous round was cut short (e.g. a GPU fell off the bus): start over.
                if (round.Exists(r => r.Index == row.Index))
                {
                    round.Clear();
                }

                round.Add(row);
                if (round.Count >= row.GpuCount)
                {
                    PublishRound(round, migDevices, deviceNodes);
                    producedSamples = true;
                    round = [];
                }
            }

            await process.WaitForExitAsync(cancellationToken);
            var result = new CommandResult(process.ExitCode, "", await stderr);
            return (producedSamples, Describe("--query-gpu", result));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private void PublishRound(
        List<GpuQueryRow> round,
        IReadOnlyDictionary<string, IReadOnlyList<MigDevice>> migDevices,
        Dictionary<string, string> deviceNodes)
    {
        round.Sort((a, b) => a.Index.CompareTo(b.Index));
        var devices = new List<GpuDevice>(round.Count);
        var samples = new List<GpuSample>(round.Count);
        foreach (var row in round)
        {
            var migs = migDevices.TryGetValue(row.Uuid, out var found) ? found : [];
            if (!deviceNodes.TryGetValue(row.Uuid, out var node))
            {
                node = _deviceNodes.Resolve(row.PciBusId, row.Index);
                deviceNodes[row.Uuid] = node;
            }

            devices.Add(row.ToDevice(node, migs));
            samples.Add(row.Sample);
        }

        Publish(new GpuSnapshot(GpuDiscoveryStatus.Available, devices, samples, _timeProvider.GetUtcNow(), null));
    }

    private void Publish(GpuSnapshot snapshot)
    {
        Volatile.Write(ref _current, snapshot);
        SnapshotPublished?.Invoke(this, snapshot);
    }
}

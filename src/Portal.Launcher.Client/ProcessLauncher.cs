using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Portal.Launcher.Protocol;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Client;

/// <summary>
/// <see cref="ILauncher"/> over the real launcher process: <c>sudo -n &lt;launcher&gt;</c> (or the launcher
/// itself in dev mode), the request on stdin, an argv list and never a shell.
/// </summary>
public sealed partial class ProcessLauncher(LauncherOptions options) : ILauncher, ISlurmLauncher
{
    // StreamLogsAsync's own parameter is named options too.
    private readonly int _maxLogLineLength = options.MaxLogLineLength;

    public async Task<StartedJob> RunAsync(string user, string job, RunSpec spec, CancellationToken cancellationToken = default)
    {
        LauncherResponse r = await CallAsync(Request(LauncherVerbs.Run, user, job) with { Run = spec }, cancellationToken);
        return new StartedJob(r.ContainerId ?? "", r.ContainerName ?? JobKeys.ContainerName(job), r.Warnings ?? []);
    }

    public async Task<CgroupState?> StopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
        (await CallAsync(Request(LauncherVerbs.Stop, user, job) with { Stop = new StopSpec { TimeoutSeconds = Seconds(gracePeriod) } }, cancellationToken)).Cgroup;

    public Task RemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
        CallAsync(Request(LauncherVerbs.Remove, user, job) with { Stop = new StopSpec { TimeoutSeconds = Seconds(gracePeriod) } }, cancellationToken);

    public async Task<CgroupState?> ReleaseAsync(string user, string job, CancellationToken cancellationToken = default) =>
        (await CallAsync(Request(LauncherVerbs.Release, user, job), cancellationToken)).Cgroup;

    public async Task<ContainerState> InspectAsync(string user, string job, CancellationToken cancellationToken = default) =>
        (await CallAsync(Request(LauncherVerbs.Inspect, user, job), cancellationToken)).Container
        ?? throw new LauncherException(LauncherFailure.Internal, "The launcher returned no container state.", 0, "");

    public async Task<IReadOnlyList<ContainerState>> ListAsync(string user, CancellationToken cancellationToken = default) =>
        (await CallAsync(Request(LauncherVerbs.List, user), cancellationToken)).Containers ?? [];

    public async Task<UserJobs> ListJobsAsync(string user, CancellationToken cancellationToken = default)
    {
        LauncherResponse r = await CallAsync(Request(LauncherVerbs.List, user), cancellationToken);
        return new UserJobs(r.Containers ?? [], r.Cgroups ?? []);
    }

    public async Task<IReadOnlyList<ImageInfo>> ImagesAsync(string user, CancellationToken cancellationToken = default) =>
        (await CallAsync(Request(LauncherVerbs.Images, user), cancellationToken)).Images ?? [];

    public async Task<IReadOnlyList<CheckItem>> CheckAsync(string? user, CancellationToken cancellationToken = default) =>
        (await CallAsync(Request(LauncherVerbs.Check, user), cancellationToken)).Checks ?? [];

    public async Task<IReadOnlyList<string>?> PolicyGpusAsync(CancellationToken cancellationToken = default) =>
        (await CallAsync(Request(LauncherVerbs.Check, null), cancellationToken)).PolicyGpus;

    public async Task<SelfTest?> SelfTestAsync(CancellationToken cancellationToken = default)
    {
        LauncherResponse r = await CallAsync(Request(LauncherVerbs.Check, null), cancellationToken);
        return new SelfTest(r.Checks ?? [], r.Policy);
    }

    public async Task<ProcessKill> KillGpuProcessAsync(string user, ProcessSpec process, CancellationToken cancellationToken = default) =>
        (await CallAsync(Request(LauncherVerbs.KillGpuProcess, user) with { Process = process }, cancellationToken)).Killed
        ?? throw new LauncherException(LauncherFailure.Internal, "The launcher said nothing of how the process ended.", 0, "");

    public async Task<StartedJob> AppUpAsync(string user, string job, AppSpec app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        LauncherResponse r = await CallAsync(Request(LauncherVerbs.AppUp, user, job) with { App = app }, cancellationToken, ILauncher.AppTimeout(app, options.Timeout));
        return new StartedJob(r.ContainerName ?? LauncherProtocol.PodName(job), r.ContainerName ?? LauncherProtocol.PodName(job), r.Warnings ?? []);
    }

    public async Task<CgroupState?> AppStopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
        (await CallAsync(Request(LauncherVerbs.AppStop, user, job) with { Stop = new StopSpec { TimeoutSeconds = Seconds(gracePeriod) } }, cancellationToken)).Cgroup;

    public Task AppRemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
        CallAsync(Request(LauncherVerbs.AppRemove, user, job) with { Stop = new StopSpec { TimeoutSeconds = Seconds(gracePeriod) } }, cancellationToken);

    public async Task<IReadOnlyList<ContainerState>> AppInspectAsync(string user, string job, CancellationToken cancellationToken = default) =>
        (await CallAsync(Request(LauncherVerbs.AppInspect, user, job), cancellationToken)).Containers ?? [];

    public async Task<string> AppExportAsync(string user, string job, CancellationToken cancellationToken = default) =>
        (await CallAsync(Request(LauncherVerbs.AppExport, user, job), cancellationToken)).Export ?? "";

    public async IAsyncEnumerable<LogLine> StreamLogsAsync(string user, string job, LogsSpec options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The launcher frames each line with its stream and time (LogFrame).
        await foreach (string frame in StreamAsync(Request(options.Service is null ? LauncherVerbs.Logs : LauncherVerbs.AppLogs, user, job), options, cancellationToken))
        {
            yield return LogFrame.Parse(frame);
        }
    }

    /// <summary>A log stream: <paramref name="request"/> with <paramref name="options"/> as its logs section.</summary>
    private async IAsyncEnumerable<string> StreamAsync(LauncherRequest request, LogsSpec options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A followed stream lasts while stdin stays open: closing it is how the portal ends it (see EndAsync).
        LogsSpec spec = options with { UntilStdinCloses = options.Follow };
        using Process process = await StartAsync(request with { Logs = spec }, holdStdin: spec.UntilStdinCloses, cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            var lines = new BoundedLineReader(process.StandardOutput, _maxLogLineLength);
            while (await lines.ReadLineAsync(cancellationToken) is { } line)
            {
                // Buffered lines come back without looking at the token: look at it here.
                cancellationToken.ThrowIfCancellationRequested();
                yield return line;
            }

            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw Failure(process.ExitCode, null, await stderr, streaming: true);
            }
        }
        finally
        {
            // The caller stopped reading (or cancelled): end the launcher and its podman.
            await EndAsync(process, stdinHeld: spec.UntilStdinCloses);
        }
    }

    private async Task<LauncherResponse> CallAsync(LauncherRequest request, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        using Process process = await StartAsync(request, holdStdin: false, cancellationToken);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        Task<string> stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? options.Timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            await EndAsync(process, stdinHeld: false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new LauncherException(LauncherFailure.TimedOut, $"The launcher did not answer '{request.Verb}' within {(timeout ?? options.Timeout).TotalSeconds:0} s.", -1, Trim(await stderr));
        }

        string output = await stdout;
        LauncherResponse? response = null;
        try
        {
            response = string.IsNullOrWhiteSpace(output) ? null : JsonSerializer.Deserialize(output, LauncherJsonContext.Default.LauncherResponse);
        }
        catch (JsonException)
        {
            // Not the launcher speaking (sudo's complaint, a crash): stderr says what happened.
        }

        if (process.ExitCode == LauncherExitCodes.Ok && response is { Ok: true })
        {
            return response;
        }

        throw Failure(process.ExitCode, response, await stderr);
    }

    private async Task<Process> StartAsync(LauncherRequest request, bool holdStdin, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(options.UseSudo ? options.SudoPath : options.LauncherPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (options.UseSudo)
        {
            // -n: never prompt. No other sudo option: the sudoers rule allows exactly this command.
            psi.ArgumentList.Add("-n");
            psi.ArgumentList.Add(options.LauncherPath);
        }

        // The launcher builds its own environment; pass nothing of the portal's.
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/bin:/bin";
        psi.Environment["LANG"] = "C.UTF-8";

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new LauncherException(LauncherFailure.NotStarted, $"Could not start {psi.FileName}.", -1, "");
        }
        catch (Win32Exception e)
        {
            throw new LauncherException(LauncherFailure.NotStarted, $"Could not start {psi.FileName}: {e.Message}", -1, "");
        }

        try
        {
            // One line: the launcher reads up to the newline, so stdin can stay open after it.
            byte[] line = [.. JsonSerializer.SerializeToUtf8Bytes(request, LauncherJsonContext.Default.LauncherRequest), (byte)'\n'];
            try
            {
                await process.StandardInput.BaseStream.WriteAsync(line, cancellationToken);
                await process.StandardInput.BaseStream.FlushAsync(cancellationToken);
            }
            finally
            {
                // An authenticate request holds a password.
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(line);
            }
            if (!holdStdin)
            {
                process.StandardInput.Close();
            }
        }
        catch (IOException)
        {
            // The launcher (or sudo) exited before reading: its exit code and stderr tell why.
        }

        return process;
    }

    /// <summary>
    /// Ends a launcher call the portal no longer waits for. Through sudo the launcher runs as root and
    /// then as the job's owner, so no signal of ours reaches it: a followed stream is ended by closing
    /// its stdin, which the launcher watches. Signals remain for dev mode, where the launcher runs as us.
    /// </summary>
    internal static async Task EndAsync(Process process, bool stdinHeld)
    {
        if (stdinHeld)
        {
            try
            {
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The launcher is gone already: nothing was left to flush.
            }

            if (await ExitsWithinAsync(process, EndGrace))
            {
                return;
            }
        }

        if (process.HasExited)
        {
            return;
        }

        // SIGTERM first and SIGKILL only after a grace period: a killed launcher cannot end its podman.
        _ = kill(process.Id, SIGTERM);
        if (await ExitsWithinAsync(process, EndGrace))
        {
            return;
        }

        try
        {
            process.Kill();
        }
        catch (Win32Exception)
        {
            // Not ours to signal (through sudo): the launcher finishes its podman call on its own.
        }
    }

    private static readonly TimeSpan EndGrace = TimeSpan.FromSeconds(3);

    private static async Task<bool> ExitsWithinAsync(Process process, TimeSpan grace)
    {
        using var timer = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timer.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static LauncherException Failure(int exitCode, LauncherResponse? response, string stderr, bool streaming = false)
    {
        // No JSON and no "portal-launcher:" line means the launcher never spoke: sudo refused,
        // the binary is missing, or it crashed. A log stream is the exception: the launcher has
        // become podman, so podman's own error (exit 125) is an operation failure.
        string? launcherLine = LauncherLine(stderr);
        bool sudoSpoke = stderr.TrimStart().StartsWith("sudo:", StringComparison.Ordinal);
        LauncherFailure failure = response is null && launcherLine is null && (!streaming || sudoSpoke)
            ? LauncherFailure.NotStarted
            : streaming && launcherLine is null
            ? LauncherFailure.OperationFailed
            : exitCode switch
            {
                LauncherExitCodes.Refused => LauncherFailure.Refused,
                LauncherExitCodes.OperationFailed => LauncherFailure.OperationFailed,
                LauncherExitCodes.PolicyError => LauncherFailure.PolicyError,
                LauncherExitCodes.PrivilegeError => LauncherFailure.PrivilegeError,
                LauncherExitCodes.ToolTimedOut => LauncherFailure.ToolTimedOut,
                _ => LauncherFailure.Internal,
            };
        string message = response?.Error ?? launcherLine
            ?? stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
            ?? $"The launcher exited with code {exitCode}.";
        return new LauncherException(failure, message, exitCode, Trim(stderr), response?.ToolExitCode, response);
    }

    private static string? LauncherLine(string stderr) =>
        stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(l => l.StartsWith("portal-launcher: ", StringComparison.Ordinal))?["portal-launcher: ".Length..];

    private static string Trim(string s) => s.Length > 4000 ? s[^4000..].Trim() : s.Trim();

    private static int Seconds(TimeSpan t) => (int)Math.Clamp(Math.Ceiling(t.TotalSeconds), 0, 3600);

    private static LauncherRequest Request(string verb, string? user, string? job = null) =>
        new() { Version = LauncherProtocol.Version, Verb = verb, User = user, Job = job };
}

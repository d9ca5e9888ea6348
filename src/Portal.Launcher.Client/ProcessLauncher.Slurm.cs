using System.Text;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Client;

public sealed partial class ProcessLauncher
{
    public Task<SlurmSubmission> SubmitAsync(string user, string job, RunSpec spec, SlurmSpec slurm, CancellationToken cancellationToken = default) =>
        SubmitAsync(Request(LauncherVerbs.SlurmSubmit, user, job) with { Run = spec, Slurm = slurm }, cancellationToken);

    public Task<SlurmSubmission> SubmitAppAsync(string user, string job, AppSpec app, SlurmSpec slurm, CancellationToken cancellationToken = default) =>
        SubmitAsync(Request(LauncherVerbs.SlurmSubmit, user, job) with { App = app, Slurm = slurm }, cancellationToken);

    private async Task<SlurmSubmission> SubmitAsync(LauncherRequest request, CancellationToken cancellationToken)
    {
        LauncherResponse r = await CallAsync(request, cancellationToken);
        return new SlurmSubmission(
            r.SlurmJobId ?? throw new LauncherException(LauncherFailure.Internal, "The launcher returned no Slurm job id.", 0, ""),
            r.Warnings ?? []);
    }

    public Task CancelAsync(string user, string job, long slurmJobId, CancellationToken cancellationToken = default) =>
        CallAsync(Request(LauncherVerbs.SlurmCancel, user, job) with { Slurm = new SlurmSpec { JobId = slurmJobId } }, cancellationToken);

    public IAsyncEnumerable<string> StreamLogAsync(string user, string job, long slurmJobId, LogsSpec options, CancellationToken cancellationToken = default) =>
        StreamAsync(Request(LauncherVerbs.SlurmLog, user, job) with { Slurm = new SlurmSpec { JobId = slurmJobId } }, options, cancellationToken);

    public async Task<Stream> ConnectAsync(string user, string job, long slurmJobId, CancellationToken cancellationToken = default)
    {
        var process = await StartAsync(Request(LauncherVerbs.SlurmConnect, user, job) with { Slurm = new SlurmSpec { JobId = slurmJobId } }, holdStdin: true, cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            // Nothing may be sent before the launcher's line: until then it is still reading its request.
            string? line = await ReadLineAsync(process.StandardOutput.BaseStream, cancellationToken);
            if (line == LauncherProtocol.ConnectedLine)
            {
                return new LauncherRelayStream(process, stderr);
            }

            await process.WaitForExitAsync(cancellationToken);
            throw Failure(process.ExitCode, null, await stderr, streaming: true);
        }
        catch
        {
            await EndAsync(process, stdinHeld: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>One short line, byte by byte, so that not one byte after it is taken from the stream; null at its end.</summary>
    private static async Task<string?> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new List<byte>(64);
        byte[] one = new byte[1];
        while (line.Count < 256)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                return null;
            }

            if (one[0] == (byte)'\n')
            {
                return Encoding.UTF8.GetString([.. line]);
            }

            line.Add(one[0]);
        }

        return null;
    }
}

using System.Diagnostics;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Client;

public sealed partial class ProcessLauncher
{
    /// <summary>How long a cancelled build's launcher gets to end podman and clean up before it is signalled.</summary>
    private static readonly TimeSpan BuildCleanUpGrace = TimeSpan.FromSeconds(60);

    public async Task<string> BuildImageAsync(string user, BuildSpec build, Func<LogLine, Task> onLogLine, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onLogLine);
        using Process process = await StartAsync(Request(LauncherVerbs.ImageBuild, user) with { Build = build }, holdStdin: false, cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        string? imageId = null;
        try
        {
            var lines = new BoundedLineReader(process.StandardOutput, _maxLogLineLength);
            while (await lines.ReadLineAsync(deadline.Token) is { } frame)
            {
                deadline.Token.ThrowIfCancellationRequested();
                if (BuildFrame.ImageId(frame) is { } id)
                {
                    imageId = id;
                }
                else
                {
                    await onLogLine(LogFrame.Parse(frame));
                }
            }

            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            // No signal of ours reaches the launcher through sudo: closing our end of its stdout is what it watches. It
            // then kills the build and removes what it left, which takes a few seconds: a signal would cut that short.
            process.StandardOutput.Close();
            if (!await ExitsWithinAsync(process, BuildCleanUpGrace))
            {
                await EndAsync(process, stdinHeld: false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            throw new LauncherException(LauncherFailure.TimedOut, $"The image build did not end within {timeout.TotalSeconds:0} s.", -1, Trim(await stderr));
        }

        if (process.ExitCode != LauncherExitCodes.Ok || imageId is null)
        {
            throw Failure(process.ExitCode, null, await stderr, streaming: true);
        }

        return imageId;
    }
}

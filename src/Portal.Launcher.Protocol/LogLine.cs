namespace Portal.Launcher.Protocol;

/// <summary>Which of a job's output streams a line was written to.</summary>
public enum OutputChannel
{
    Stdout,
    Stderr,
}

/// <summary>
/// One line of a job's output: its stream, its text (without the line break) and, where the backend records one, when
/// it was written (UTC, <see cref="LogFrame.TimeLength"/> characters, <c>2026-12-06T11:22:40.219534842Z</c>).
/// </summary>
public sealed record LogLine(OutputChannel Stream, string Text, string? Time = null)
{
    /// <summary>A line whose stream is not known apart (a Slurm output file holds both streams as one): stdout.</summary>
    public static LogLine Plain(string text) => new(OutputChannel.Stdout, text);
}

/// <summary>
/// How the <c>logs</c> and <c>app-logs</c> verbs write a line to the caller: one frame per line,
/// <c>o|e SP time SP text LF</c>. The stream letter and the time are the launcher's own; the text is the job's, and
/// never holds a line break (podman's line ends the frame), so a job cannot write a frame or change a line's stream
/// whatever bytes it prints.
/// </summary>
public static class LogFrame
{
    /// <summary>Characters of the time: <c>yyyy-MM-ddTHH:mm:ss.fffffffffZ</c>, always UTC, always nine fraction digits,
    /// so that times sort as text.</summary>
    public const int TimeLength = 30;

    /// <summary>Characters before the text: stream letter, space, time, space.</summary>
    public const int HeaderLength = TimeLength + 3;

    public const char StdoutLetter = 'o';
    public const char StderrLetter = 'e';

    /// <summary>The line a frame carries. Anything that is not a frame (there should be none) is kept as stdout text,
    /// never dropped.</summary>
    public static LogLine Parse(string frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Length >= HeaderLength && frame[0] is StdoutLetter or StderrLetter && frame[1] == ' ' && frame[HeaderLength - 1] == ' '
            && frame[HeaderLength - 2] == 'Z' && frame[12] == 'T')
        {
            return new LogLine(frame[0] == StderrLetter ? OutputChannel.Stderr : OutputChannel.Stdout, frame[HeaderLength..], frame[2..(HeaderLength - 1)]);
        }

        return LogLine.Plain(frame);
    }
}

using System.Text;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Podman;

/// <summary>
/// Merges what <c>podman logs --timestamps</c> writes on its two pipes (the container's stdout on podman's stdout, its
/// stderr on podman's stderr) back into one sequence in the order of podman's timestamps, each line framed with its
/// stream (<see cref="LogFrame"/>). Lines podman writes without a time are its own messages, not the job's: they go to
/// <c>diagnostics</c> unframed.
/// </summary>
/// <remarks>
/// podman writes the lines in its log's order, so each pipe alone is in time order; the two are merged like two sorted
/// lists. A line is given out once the other stream has a later line waiting, or the other stream has ended. While
/// following a live job the other stream may simply be quiet: there a line also goes out once it has waited
/// <c>holdBack</c>. A reader that falls far behind never makes the launcher hold more than <see cref="MaxHeldBytes"/>:
/// past that the oldest line goes out.
/// </remarks>
internal sealed class LogMerger(TimeSpan? holdBack, Stream diagnostics)
{
    /// <summary>The most of one line kept; the rest, up to its end, is dropped (the portal keeps far less).</summary>
    internal const int MaxLineBytes = 256 << 10;

    /// <summary>The most held back in all, before lines go out regardless of the other stream.</summary>
    internal const int MaxHeldBytes = 4 << 20;

    private static readonly byte[] CutNote = Encoding.ASCII.GetBytes(" [line cut by the launcher]");

    private readonly Source[] _sources = [new(LogFrame.StdoutLetter), new(LogFrame.StderrLetter)];
    private int _heldBytes;

    /// <summary>Takes bytes podman wrote on stream <paramref name="stream"/> (0 stdout, 1 stderr) at tick
    /// <paramref name="now"/>.</summary>
    public void Add(int stream, ReadOnlySpan<byte> bytes, long now)
    {
        Source source = _sources[stream];
        while (!bytes.IsEmpty)
        {
            int newline = bytes.IndexOf((byte)'\n');
            ReadOnlySpan<byte> part = newline < 0 ? bytes : bytes[..newline];
            int room = MaxLineBytes - (int)source.Partial.Length;
            source.Partial.Write(part[..Math.Min(room, part.Length)]);
            source.Cut |= part.Length > room;
            if (newline < 0)
            {
                return;
            }

            EndLine(source, now);
            bytes = bytes[(newline + 1)..];
        }
    }

    /// <summary>Stream <paramref name="stream"/> has ended: a last line without a line break counts as a line.</summary>
    public void Close(int stream, long now)
    {
        Source source = _sources[stream];
        if (source.Partial.Length > 0 || source.Cut)
        {
            EndLine(source, now);
        }

        source.Closed = true;
    }

    /// <summary>Writes every line that may go out now to <paramref name="output"/>.</summary>
    public void TakeReady(long now, Stream output)
    {
        while (Next() is { } i)
        {
            Source head = _sources[i], other = _sources[1 - i];
            Line line = head.Lines.Peek();
            bool ready = other.Lines.Count > 0 || other.Closed || _heldBytes > MaxHeldBytes
                || (holdBack is { } wait && now - line.Arrived >= (long)wait.TotalMilliseconds);
            if (!ready)
            {
                return;
            }

            head.Lines.Dequeue();
            _heldBytes -= line.Frame.Length;
            output.Write(line.Frame);
        }
    }

    /// <summary>Milliseconds until a held line is due (with a hold-back), or -1: none is.</summary>
    public int DueIn(long now)
    {
        if (holdBack is not { } wait || Next() is not { } i)
        {
            return -1;
        }

        return (int)Math.Clamp(_sources[i].Lines.Peek().Arrived + (long)wait.TotalMilliseconds - now, 0, int.MaxValue);
    }

    /// <summary>The stream whose first waiting line is the earliest (stdout on a tie), or null when none waits.</summary>
    private int? Next()
    {
        Queue<Line> o = _sources[0].Lines, e = _sources[1].Lines;
        if (o.Count == 0)
        {
            return e.Count == 0 ? null : 1;
        }

        return e.Count == 0 || o.Peek().Time <= e.Peek().Time ? 0 : 1;
    }

    private void EndLine(Source source, long now)
    {
        if (source.Cut)
        {
            source.Partial.Write(CutNote);
        }

        ReadOnlySpan<byte> raw = source.Partial.GetBuffer().AsSpan(0, (int)source.Partial.Length);
        source.Partial.SetLength(0);
        source.Cut = false;

        // podman writes every line of the log as "<RFC 3339 time> <text>", the time its own. A line without one is
        // podman's own complaint (no such container): it goes to the launcher's stderr, as podman's errors always did.
        int space = raw.IndexOf((byte)' ');
        if (space <= 0 || PodmanTime.Parse(raw[..space]) is not { } time)
        {
            diagnostics.Write(raw);
            diagnostics.Write("\n"u8);
            return;
        }

        ReadOnlySpan<byte> text = WithoutPartialTimes(raw[(space + 1)..], raw[..space], time);
        byte[] frame = new byte[LogFrame.HeaderLength + text.Length + 1];
        frame[0] = (byte)source.Letter;
        frame[1] = (byte)' ';
        PodmanTime.Format(time, frame.AsSpan(2, LogFrame.TimeLength));
        frame[LogFrame.HeaderLength - 1] = (byte)' ';
        text.CopyTo(frame.AsSpan(LogFrame.HeaderLength));
        frame[^1] = (byte)'\n';
        source.Lines.Enqueue(new Line(time, now, frame));
        _heldBytes += frame.Length;
    }

    /// <summary>
    /// The line's text without the times podman wrote inside it. A job that writes part of a line at a time (a progress
    /// bar's "10%\r", "20%\r", ...) leaves one partial record per write in its log, and <c>podman logs --timestamps</c>
    /// prints each with its own time and no line break: "T1 10%\rT2 20%\rT3 done". A time of exactly podman's form
    /// (same day and offset as the line's own, not earlier than it) followed by a space is taken for one of those and
    /// removed. The text stays on its own stream whatever it holds: a job that prints such a time itself loses only
    /// that piece of its own line.
    /// </summary>
    private static ReadOnlySpan<byte> WithoutPartialTimes(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lineTime, long time)
    {
        const int DatePrefix = 11; // "yyyy-MM-ddT"
        const int LongestTime = 35; // "yyyy-MM-ddTHH:mm:ss.fffffffff+hh:mm"
        ReadOnlySpan<byte> day = lineTime[..DatePrefix];
        ReadOnlySpan<byte> zone = lineTime[^1] == 'Z' ? lineTime[^1..] : lineTime[^6..];
        int found = text.IndexOf(day);
        if (found < 0)
        {
            return text;
        }

        var kept = new List<byte>(text.Length);
        int from = 0;
        while (found >= 0)
        {
            int at = from + found;
            int space = text[at..].IndexOf((byte)' ');
            if (space > 0 && space <= LongestTime && text.Slice(at, space).EndsWith(zone)
                && PodmanTime.Parse(text.Slice(at, space)) is { } inner && inner >= time)
            {
                kept.AddRange(text[from..at]);
                from = at + space + 1;
            }
            else
            {
                kept.AddRange(text[from..(at + 1)]);
                from = at + 1;
            }

            found = text[from..].IndexOf(day);
        }

        kept.AddRange(text[from..]);
        return kept.ToArray();
    }

    private sealed record Line(long Time, long Arrived, byte[] Frame);

    private sealed class Source(char letter)
    {
        public char Letter { get; } = letter;
        public MemoryStream Partial { get; } = new();
        public Queue<Line> Lines { get; } = new();
        public bool Cut { get; set; }
        public bool Closed { get; set; }
    }
}

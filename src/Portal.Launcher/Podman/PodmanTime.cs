using Portal.Launcher.Protocol;

namespace Portal.Launcher.Podman;

/// <summary>
/// The times <c>podman logs --timestamps</c> writes (Go's RFC3339Nano: <c>2026-12-06T11:22:40.21953484+01:00</c>, local
/// offset, trailing zeros of the fraction dropped) as nanoseconds since 1970, and back as <see cref="LogFrame"/>'s fixed
/// UTC form. Parsed by hand: nine fraction digits are more than <see cref="DateTimeOffset"/> keeps.
/// </summary>
internal static class PodmanTime
{
    private const long NanosPerSecond = 1_000_000_000;

    /// <summary>Nanoseconds since 1970 (UTC), or null when <paramref name="text"/> is not such a time.</summary>
    public static long? Parse(ReadOnlySpan<byte> text)
    {
        // yyyy-MM-ddTHH:mm:ss, then an optional fraction, then Z or +HH:MM / -HH:MM.
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':'
            || Digits(text, 0, 4) is not { } year || Digits(text, 5, 2) is not { } month || Digits(text, 8, 2) is not { } day
            || Digits(text, 11, 2) is not { } hour || Digits(text, 14, 2) is not { } minute || Digits(text, 17, 2) is not { } second)
        {
            return null;
        }

        int at = 19;
        long nanos = 0;
        if (text[at] == '.')
        {
            int digits = 0;
            at++;
            while (at < text.Length && text[at] is >= (byte)'0' and <= (byte)'9')
            {
                if (++digits > 9)
                {
                    return null;
                }

                nanos = (nanos * 10) + (text[at] - '0');
                at++;
            }

            if (digits == 0)
            {
                return null;
            }

            for (int i = digits; i < 9; i++)
            {
                nanos *= 10;
            }
        }

        TimeSpan offset;
        if (at == text.Length - 1 && text[at] == 'Z')
        {
            offset = TimeSpan.Zero;
        }
        else if (at == text.Length - 6 && text[at] is (byte)'+' or (byte)'-' && text[at + 3] == ':'
            && Digits(text, at + 1, 2) is { } offsetHours && Digits(text, at + 4, 2) is { } offsetMinutes && offsetHours < 24 && offsetMinutes < 60)
        {
            offset = new TimeSpan(offsetHours, offsetMinutes, 0) * (text[at] == '-' ? -1 : 1);
        }
        else
        {
            return null;
        }

        try
        {
            long seconds = new DateTimeOffset(year, month, day, hour, minute, second, offset).ToUnixTimeSeconds();
            return (seconds * NanosPerSecond) + nanos;
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Writes <paramref name="unixNanos"/> as <c>yyyy-MM-ddTHH:mm:ss.fffffffffZ</c> (<see cref="LogFrame.TimeLength"/> bytes).</summary>
    public static void Format(long unixNanos, Span<byte> into)
    {
        long nanos = Math.Max(unixNanos, 0);
        DateTime utc = DateTime.UnixEpoch.AddSeconds(nanos / NanosPerSecond);
        long fraction = nanos % NanosPerSecond;
        Put(into, 0, utc.Year, 4);
        into[4] = (byte)'-';
        Put(into, 5, utc.Month, 2);
        into[7] = (byte)'-';
        Put(into, 8, utc.Day, 2);
        into[10] = (byte)'T';
        Put(into, 11, utc.Hour, 2);
        into[13] = (byte)':';
        Put(into, 14, utc.Minute, 2);
        into[16] = (byte)':';
        Put(into, 17, utc.Second, 2);
        into[19] = (byte)'.';
        Put(into, 20, fraction, 9);
        into[29] = (byte)'Z';
    }

    private static void Put(Span<byte> into, int at, long value, int width)
    {
        for (int i = at + width - 1; i >= at; i--)
        {
            into[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    private static int? Digits(ReadOnlySpan<byte> text, int at, int count)
    {
        int value = 0;
        for (int i = at; i < at + count; i++)
        {
            if (text[i] is < (byte)'0' or > (byte)'9')
            {
                return null;
            }

            value = (value * 10) + (text[i] - '0');
        }

        return value;
    }
}

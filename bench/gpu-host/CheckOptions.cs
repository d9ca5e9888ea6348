using System.Globalization;

namespace Portal.Bench.GpuHost;

/// <summary>The command line: how long to watch and what the run must have seen to pass.</summary>
internal sealed record CheckOptions(TimeSpan Duration, TimeSpan Interval, uint? ExpectedProcessUid, bool ExpectBusy)
{
    public const string Usage =
        "usage: portal-gpu-host-check [--seconds N] [--interval-ms N] [--expect-process-uid UID] [--expect-busy]";

    public static CheckOptions Parse(IReadOnlyList<string> args)
    {
        var seconds = 20;
        var intervalMs = 500;
        uint? uid = null;
        var busy = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = int.Parse(Value(args, ++i), CultureInfo.InvariantCulture); break;
                case "--interval-ms": intervalMs = int.Parse(Value(args, ++i), CultureInfo.InvariantCulture); break;
                case "--expect-process-uid": uid = uint.Parse(Value(args, ++i), CultureInfo.InvariantCulture); break;
                case "--expect-busy": busy = true; break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'. {Usage}");
            }
        }

        if (seconds is < 2 or > 600 || intervalMs is < 100 or > 10_000)
        {
            throw new ArgumentException($"--seconds must be 2..600 and --interval-ms 100..10000. {Usage}");
        }

        return new CheckOptions(TimeSpan.FromSeconds(seconds), TimeSpan.FromMilliseconds(intervalMs), uid, busy);
    }

    private static string Value(IReadOnlyList<string> args, int i) =>
        i < args.Count ? args[i] : throw new ArgumentException($"'{args[i - 1]}' needs a value. {Usage}");
}

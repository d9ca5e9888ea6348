using System.Globalization;

namespace Portal.Core.Slurm;

/// <summary>One job as <c>scontrol show job -d -o</c> reports it: what squeue cannot say (exit code, GPU indexes).</summary>
/// <param name="JobId">Slurm's job id.</param>
/// <param name="Name">The job name.</param>
/// <param name="State">JobState=.</param>
/// <param name="Reason">Reason=, or null for None.</param>
/// <param name="ExitCode">The batch script's exit code (the container's), when it exited.</param>
/// <param name="Signal">The signal that ended it, when one did (ExitCode=0:9 is SIGKILL).</param>
/// <param name="Nodes">NodeList=, or null.</param>
/// <param name="GpuIndexes">The GPUs allocated on its node, by index (GRES=gpu:2(IDX:0-1)).</param>
/// <param name="StartTime">StartTime=.</param>
/// <param name="EndTime">EndTime=.</param>
public sealed record ScontrolJob(
    long JobId,
    string Name,
    string State,
    string? Reason,
    int? ExitCode,
    int? Signal,
    string? Nodes,
    IReadOnlyList<int> GpuIndexes,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime);

/// <summary>Reads <c>scontrol show job -d -o</c>: one line per job of Key=Value pairs.</summary>
public static class ScontrolJobQuery
{
    public static IReadOnlyList<string> Arguments(long jobId) =>
        ["show", "job", "--details", "--oneliner", jobId.ToString(CultureInfo.InvariantCulture)];

    public static IReadOnlyList<ScontrolJob> Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var jobs = new List<ScontrolJob>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pairs = KeyValueLine.Parse(line);
            if (!pairs.TryGetValue("JobId", out var idText) || !long.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                throw new FormatException($"scontrol gave a job line without JobId: '{SlurmFields.Printable(line)}'.");
            }

            (int? exit, int? signal) = ExitCode(pairs.GetValueOrDefault("ExitCode"));
            jobs.Add(new ScontrolJob(
                id,
                pairs.GetValueOrDefault("JobName") ?? "",
                pairs.GetValueOrDefault("JobState") ?? "",
                SlurmFields.Optional(pairs.GetValueOrDefault("Reason") ?? ""),
                exit,
                signal,
                SlurmFields.Optional(pairs.GetValueOrDefault("NodeList") ?? ""),
                SlurmFields.GpuIndexes(pairs.GetValueOrDefault("GRES")),
                SlurmFields.Time(pairs.GetValueOrDefault("StartTime") ?? ""),
                SlurmFields.Time(pairs.GetValueOrDefault("EndTime") ?? "")));
        }

        return jobs;
    }

    /// <summary>"3:0" is exit code 3; "0:9" is killed by signal 9 (no exit code of its own).</summary>
    public static (int? ExitCode, int? Signal) ExitCode(string? text)
    {
        if (text is null)
        {
            return (null, null);
        }

        var parts = text.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var code)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var signal))
        {
            return (null, null);
        }

        return signal != 0 ? (null, signal) : (code, null);
    }
}

/// <summary>
/// One line of scontrol's --oneliner output. Values may hold spaces (OS=Linux 6.1 #1 SMP, Reason=Not responding), so a
/// word that does not start with a key continues the value before it; a repeated key (the per-node lines of --details
/// repeat none that the portal reads twice) keeps its first value.
/// </summary>
public static class KeyValueLine
{
    private static readonly System.Buffers.SearchValues<char> KeyCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:/");

    public static Dictionary<string, string> Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        string? key = null;
        var value = new System.Text.StringBuilder();
        foreach (var word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && IsKey(word.AsSpan(0, eq)))
            {
                Add(pairs, key, value);
                key = word[..eq];
                value.Clear().Append(word.AsSpan(eq + 1));
            }
            else if (key is not null)
            {
                value.Append(' ').Append(word);
            }
        }

        Add(pairs, key, value);
        return pairs;
    }

    private static bool IsKey(ReadOnlySpan<char> word) =>
        char.IsAsciiLetter(word[0]) && !word.ContainsAnyExcept(KeyCharacters);

    private static void Add(Dictionary<string, string> pairs, string? key, System.Text.StringBuilder value)
    {
        if (key is not null)
        {
            pairs.TryAdd(key, value.ToString());
        }
    }
}

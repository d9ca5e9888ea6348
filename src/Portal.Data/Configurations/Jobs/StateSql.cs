using Portal.Data.Entities.Jobs;

namespace Portal.Data.Configurations.Jobs;

/// <summary>SQL fragments naming the stored states, built from the enums so a new state cannot be forgotten.</summary>
internal static class StateSql
{
    public static IReadOnlyList<string> AllStates { get; } = Enum.GetNames<JobStateColumn>();

    public static IReadOnlyList<string> FinalStates { get; } =
    [
        nameof(JobStateColumn.Succeeded), nameof(JobStateColumn.Failed), nameof(JobStateColumn.Cancelled),
        nameof(JobStateColumn.TimedOut), nameof(JobStateColumn.Lost),
    ];

    public static IReadOnlyList<string> AllPendingReasons { get; } = Enum.GetNames<PendingReasonColumn>();

    public static string InList(string column, IEnumerable<string> values) =>
        $"\"{column}\" IN ({string.Join(", ", values.Select(v => $"'{v}'"))})";
}

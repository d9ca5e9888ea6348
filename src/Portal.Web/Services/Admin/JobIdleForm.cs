using System.Globalization;
using Portal.Core.Jobs;
using Portal.Core.Reclaim;

namespace Portal.Web.Services.Admin;

/// <summary>
/// A quota group's idle reclaim of batch jobs as typed into its page (and sent by the admin API): a percentage, minutes
/// for the window and the grace period, the action, hours for the keep. An empty window turns it off; when on, every
/// field is needed (each is a real choice: there is no silent default for what stops people's jobs).
/// </summary>
public sealed class JobIdleForm
{
    public string ThresholdPercent { get; set; } = "";

    public string WindowMinutes { get; set; } = "";

    public string GraceMinutes { get; set; } = "";

    /// <summary><c>WarnOnly</c>, <c>Stop</c> or <c>StopAndRequeue</c>.</summary>
    public string Action { get; set; } = "";

    public string KeepHours { get; set; } = "";

    /// <summary>Whether the form turns reclaim off (every field empty).</summary>
    public bool IsOff => new[] { ThresholdPercent, WindowMinutes, GraceMinutes, Action, KeepHours }.All(string.IsNullOrWhiteSpace);

    public static JobIdleForm From(IdlePolicy? policy) => policy is null ? new() : new()
    {
        ThresholdPercent = Text(policy.ThresholdPercent),
        WindowMinutes = Text(policy.Window.TotalMinutes),
        GraceMinutes = Text(policy.Grace.TotalMinutes),
        Action = policy.Action.ToString(),
        KeepHours = Text(policy.KeepFor.TotalHours),
    };

    /// <summary>Reads the form; every problem at once, by field name. A null policy with no errors means "off".</summary>
    /// <param name="period">The GPU monitor's rollup period: the window is whole periods, at least five.</param>
    public (IdlePolicy? Policy, IReadOnlyList<FieldError> Errors) ToPolicy(TimeSpan period)
    {
        var errors = new List<FieldError>();
        if (IsOff)
        {
            return (null, errors);
        }

        double? threshold = Number(nameof(ThresholdPercent), ThresholdPercent, "The GPU threshold (%)");
        double? window = Number(nameof(WindowMinutes), WindowMinutes, "The idle window (minutes)");
        double? grace = Number(nameof(GraceMinutes), GraceMinutes, "The grace period (minutes)");
        double? keep = Number(nameof(KeepHours), KeepHours, "The keep (hours)");
        ReclaimAction? action = Action.Trim() switch
        {
            nameof(ReclaimAction.WarnOnly) => ReclaimAction.WarnOnly,
            nameof(ReclaimAction.Stop) => ReclaimAction.Stop,
            nameof(ReclaimAction.StopAndRequeue) => ReclaimAction.StopAndRequeue,
            _ => null,
        };
        if (action is null)
        {
            errors.Add(new FieldError(nameof(Action), "Choose what happens after the grace period: WarnOnly, Stop or StopAndRequeue."));
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var policy = new IdlePolicy(threshold!.Value, Seconds(window!.Value * 60), Seconds(grace!.Value * 60), action!.Value, Seconds(keep!.Value * 3600));
        foreach (var problem in policy.Problems(period))
        {
            errors.Add(new FieldError(problem switch
            {
                _ when problem.Contains("threshold", StringComparison.Ordinal) => nameof(ThresholdPercent),
                _ when problem.Contains("window", StringComparison.Ordinal) => nameof(WindowMinutes),
                _ when problem.Contains("grace", StringComparison.Ordinal) => nameof(GraceMinutes),
                _ when problem.Contains("keep", StringComparison.Ordinal) => nameof(KeepHours),
                _ => nameof(Action),
            }, problem));
        }

        return errors.Count > 0 ? (null, errors) : (policy, errors);

        double? Number(string field, string text, string label)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                errors.Add(new FieldError(field, $"{label} is needed (or leave every field empty to turn idle reclaim of jobs off)."));
                return null;
            }

            if (!double.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) || value > 1_000_000)
            {
                errors.Add(new FieldError(field, $"{label} must be a number."));
                return null;
            }

            return value;
        }
    }

    /// <summary>The policy in one line for the audit log.</summary>
    public static string Describe(IdlePolicy? policy) => policy is null
        ? "job idle reclaim off"
        : string.Create(CultureInfo.InvariantCulture,
            $"jobs under {policy.ThresholdPercent} % for {policy.Window}: {policy.Action} after {policy.Grace}, keep {policy.KeepFor}");

    // Whole seconds: PostgreSQL would keep microseconds nobody meant.
    private static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(Math.Round(seconds));

    private static string Text(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}

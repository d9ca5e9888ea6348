namespace Portal.Core.Sessions;

/// <summary>
/// One quota group's idle-reclaim settings for interactive sessions. A null <see cref="Window"/> means the group does
/// not reclaim idle sessions (the default); the other fields fall back to <see cref="SessionIdlePolicy"/>'s defaults.
/// </summary>
/// <param name="Window">How long every activity signal must be quiet before the session counts as idle.</param>
/// <param name="Grace">How long the owner is warned before an idle session is stopped.</param>
/// <param name="GpuThresholdPercent">GPU utilisation at or above this counts as use.</param>
/// <param name="KeepLimit">The longest a "keep" reason exempts a session.</param>
public sealed record SessionIdleSettings(TimeSpan? Window = null, TimeSpan? Grace = null, double? GpuThresholdPercent = null, TimeSpan? KeepLimit = null)
{
    public static SessionIdleSettings None { get; } = new();

    /// <summary>Why the settings are unusable, field by field; empty when they are fine.</summary>
    public IReadOnlyList<(string Field, string Message)> Problems()
    {
        var problems = new List<(string, string)>();
        if (Window is { } w && w < SessionIdlePolicy.ShortestWindow)
        {
            problems.Add((nameof(Window), "The idle window must be at least one second."));
        }

        if (Grace is { } g && g < TimeSpan.Zero)
        {
            problems.Add((nameof(Grace), "The warning period cannot be negative."));
        }

        if (GpuThresholdPercent is { } t && (t < 0 || t > 100 || double.IsNaN(t)))
        {
            problems.Add((nameof(GpuThresholdPercent), "The GPU threshold is a percentage from 0 to 100."));
        }

        if (KeepLimit is { } k && k <= TimeSpan.Zero)
        {
            problems.Add((nameof(KeepLimit), "The longest keep must be positive."));
        }

        if (Window is null && (Grace is not null || GpuThresholdPercent is not null || KeepLimit is not null))
        {
            problems.Add((nameof(Window), "Set an idle window, or leave every idle field empty."));
        }

        return problems;
    }
}

/// <summary>The idle policy that applies to one user's sessions: every field resolved.</summary>
/// <param name="Window">Quiet for this long: idle, and the owner is warned.</param>
/// <param name="Grace">Warned for this long: stopped.</param>
/// <param name="GpuThresholdPercent">GPU utilisation at or above this (on any of the session's GPUs) is use.</param>
/// <param name="KeepLimit">The longest one "keep" exempts a session.</param>
public sealed record SessionIdlePolicy(TimeSpan Window, TimeSpan Grace, double GpuThresholdPercent, TimeSpan KeepLimit)
{
    public static readonly TimeSpan ShortestWindow = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromMinutes(15);
    public const double DefaultGpuThresholdPercent = 5;
    public static readonly TimeSpan DefaultKeepLimit = TimeSpan.FromHours(8);

    /// <summary>
    /// The policy of a user in <paramref name="groups"/>, or null when their sessions are never reclaimed. Group
    /// membership grants, never takes away (as for quotas): a user is reclaimed only when every one of their groups
    /// sets an idle window, and then the most generous applies (the longest window, with that group's other fields).
    /// A user in no group is never reclaimed: reclaim is off unless an administrator turns it on for a group.
    /// </summary>
    public static SessionIdlePolicy? Resolve(IReadOnlyCollection<SessionIdleSettings> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0 || groups.Any(g => g.Window is null))
        {
            return null;
        }

        var winner = groups
            .OrderByDescending(g => g.Window)
            .ThenByDescending(g => g.Grace ?? DefaultGrace)
            .First();
        return new SessionIdlePolicy(
            winner.Window!.Value,
            winner.Grace ?? DefaultGrace,
            winner.GpuThresholdPercent ?? DefaultGpuThresholdPercent,
            winner.KeepLimit ?? DefaultKeepLimit);
    }
}

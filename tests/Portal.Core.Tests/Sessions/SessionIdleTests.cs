using Portal.Core.Sessions;

namespace Portal.Core.Tests.Sessions;

/// <summary>Idle reclaim's decision: every signal must be quiet for the window, then a grace period, and a keep or a
/// busy signal resets it; and how several quota groups' settings combine.</summary>
public sealed class SessionIdleTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 9, 0, 0, TimeSpan.Zero);
    private static readonly SessionIdlePolicy Policy = new(TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(10), 5, TimeSpan.FromHours(8));

    [Fact]
    public void A_session_nothing_touched_is_active_for_the_window_then_warned_then_due()
    {
        var signals = new SessionSignals(Start);

        Assert.Equal(SessionIdlePhase.Active, SessionIdleClock.Evaluate(signals, Policy, Start.AddMinutes(29)).Phase);
        SessionIdleState warned = SessionIdleClock.Evaluate(signals, Policy, Start.AddMinutes(30));
        Assert.Equal(SessionIdlePhase.Warned, warned.Phase);
        Assert.Equal(Start.AddMinutes(40), warned.StopAt);
        Assert.Equal(SessionIdlePhase.Due, SessionIdleClock.Evaluate(signals, Policy, Start.AddMinutes(40)).Phase);
    }

    [Theory]
    [InlineData("proxy")]
    [InlineData("app")]
    [InlineData("gpu")]
    public void Any_one_signal_seen_recently_keeps_the_session_active(string signal)
    {
        DateTimeOffset recent = Start.AddMinutes(50);
        var signals = signal switch
        {
            "proxy" => new SessionSignals(Start, LastProxied: recent),
            "app" => new SessionSignals(Start, AppLastActivity: recent),
            _ => new SessionSignals(Start, GpuLastBusy: recent),
        };

        SessionIdleState state = SessionIdleClock.Evaluate(signals, Policy, Start.AddMinutes(60));

        Assert.Equal(SessionIdlePhase.Active, state.Phase);
        Assert.Equal(recent, state.LastActiveAt);
    }

    [Theory]
    [InlineData("request in flight")]
    [InlineData("busy kernel")]
    [InlineData("busy GPU")]
    public void Work_going_on_now_counts_as_use_now_however_old_the_last_event(string signal)
    {
        var signals = signal switch
        {
            "request in flight" => new SessionSignals(Start, ProxyBusy: true),
            "busy kernel" => new SessionSignals(Start, AppBusy: true),
            _ => new SessionSignals(Start, GpuBusy: true),
        };
        DateTimeOffset now = Start.AddHours(5);

        SessionIdleState state = SessionIdleClock.Evaluate(signals, Policy, now);

        Assert.Equal(SessionIdlePhase.Active, state.Phase);
        Assert.Equal(now, state.LastActiveAt);
    }

    [Fact]
    public void A_keep_exempts_until_it_ends_and_then_a_whole_window_and_grace_follow()
    {
        var signals = new SessionSignals(Start, KeepUntil: Start.AddHours(2));

        Assert.Equal(SessionIdlePhase.Kept, SessionIdleClock.Evaluate(signals, Policy, Start.AddHours(1)).Phase);
        SessionIdleState after = SessionIdleClock.Evaluate(signals, Policy, Start.AddHours(2).AddMinutes(29));
        Assert.Equal(SessionIdlePhase.Active, after.Phase);
        Assert.Equal(Start.AddHours(2).AddMinutes(40), after.StopAt);
    }

    [Fact]
    public void A_signal_from_a_clock_ahead_of_the_portals_never_counts_from_the_future()
    {
        DateTimeOffset now = Start.AddHours(1);

        SessionIdleState state = SessionIdleClock.Evaluate(new SessionSignals(Start, AppLastActivity: now.AddMinutes(5)), Policy, now);

        Assert.Equal(now, state.LastActiveAt);
    }

    [Fact]
    public void Reclaim_is_off_for_a_user_in_no_group_or_in_any_group_that_sets_no_window()
    {
        var reclaiming = new SessionIdleSettings(TimeSpan.FromHours(1));

        Assert.Null(SessionIdlePolicy.Resolve([]));
        Assert.Null(SessionIdlePolicy.Resolve([reclaiming, SessionIdleSettings.None]));
        Assert.NotNull(SessionIdlePolicy.Resolve([reclaiming]));
    }

    [Fact]
    public void Of_several_reclaiming_groups_the_longest_window_applies_with_its_own_settings_and_defaults_for_the_rest()
    {
        SessionIdlePolicy? policy = SessionIdlePolicy.Resolve([
            new SessionIdleSettings(TimeSpan.FromHours(1), TimeSpan.FromMinutes(5), 20),
            new SessionIdleSettings(TimeSpan.FromHours(3), GpuThresholdPercent: 2),
        ]);

        Assert.Equal(new SessionIdlePolicy(TimeSpan.FromHours(3), SessionIdlePolicy.DefaultGrace, 2, SessionIdlePolicy.DefaultKeepLimit), policy);
    }

    [Fact]
    public void Settings_out_of_range_or_without_a_window_are_refused_field_by_field()
    {
        var problems = new SessionIdleSettings(TimeSpan.Zero, TimeSpan.FromMinutes(-1), 101, TimeSpan.Zero).Problems();

        Assert.Equal(["Window", "Grace", "GpuThresholdPercent", "KeepLimit"], problems.Select(p => p.Field));
        Assert.Equal(["Window"], new SessionIdleSettings(Grace: TimeSpan.FromMinutes(5)).Problems().Select(p => p.Field));
        Assert.Empty(new SessionIdleSettings(TimeSpan.FromMinutes(30)).Problems());
    }
}

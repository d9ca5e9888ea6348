using Portal.Core.Reclaim;

namespace Portal.Core.Tests.Reclaim;

public sealed class IdleWatchTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly IdlePolicy Policy = new(5, TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(30), ReclaimAction.Stop, TimeSpan.FromHours(8));
    private static readonly IdleVerdict Idle = new(IdleVerdictKind.Idle, 1, 0, "idle");
    private static readonly IdleVerdict Busy = new(IdleVerdictKind.Busy, 1, 80, "busy");
    private static readonly IdleVerdict Gap = new(IdleVerdictKind.NotEnoughData, 0.5, 0, "gap");
    private static readonly IdleVerdict Mig = new(IdleVerdictKind.Unmeasurable, 1, null, "mig");

    [Fact]
    public void An_idle_verdict_warns_with_the_action_due_after_the_grace()
    {
        var (next, step) = IdleWatch.New.Evaluate(Idle, Policy, T0);

        Assert.Equal(IdleStep.Warn, step);
        Assert.Equal((IdlePhase.Warned, T0, T0.AddMinutes(30)), (next.Phase, next.WarnedAt, next.ActionDueAt));
    }

    [Theory]
    [InlineData(IdleVerdictKind.NotEnoughData)]
    [InlineData(IdleVerdictKind.Unmeasurable)]
    [InlineData(IdleVerdictKind.TooEarly)]
    [InlineData(IdleVerdictKind.NotApplicable)]
    public void Missing_or_unmeasurable_data_never_warns(IdleVerdictKind kind)
    {
        var (next, step) = IdleWatch.New.Evaluate(new IdleVerdict(kind, 0, null, "x"), Policy, T0);

        Assert.Equal((IdleStep.None, IdlePhase.Watching), (step, next.Phase));
    }

    [Fact]
    public void Missing_data_at_the_due_time_holds_the_action_until_an_idle_window_is_seen_again()
    {
        var (warned, _) = IdleWatch.New.Evaluate(Idle, Policy, T0);

        var (held, heldStep) = warned.Evaluate(Gap, Policy, T0.AddMinutes(31));
        var (stillHeld, migStep) = held.Evaluate(Mig, Policy, T0.AddMinutes(40));
        var (acted, actStep) = stillHeld.Evaluate(Idle, Policy, T0.AddMinutes(41));

        Assert.Equal((IdleStep.None, IdleStep.None, IdleStep.Act), (heldStep, migStep, actStep));
        Assert.Equal(IdlePhase.Warned, stillHeld.Phase);
        Assert.Equal(IdlePhase.Reclaimed, acted.Phase);
    }

    [Fact]
    public void A_busy_verdict_in_the_grace_withdraws_the_warning()
    {
        var (warned, _) = IdleWatch.New.Evaluate(Idle, Policy, T0);

        var (cleared, step) = warned.Evaluate(Busy, Policy, T0.AddMinutes(10));

        Assert.Equal((IdleStep.ClearWarning, IdlePhase.Watching, null), (step, cleared.Phase, cleared.ActionDueAt));
    }

    [Fact]
    public void Nothing_is_done_before_the_grace_ends()
    {
        var (warned, _) = IdleWatch.New.Evaluate(Idle, Policy, T0);

        var (_, step) = warned.Evaluate(Idle, Policy, T0.AddMinutes(29));

        Assert.Equal(IdleStep.None, step);
    }

    [Fact]
    public void A_warn_only_policy_never_acts_and_keeps_the_job_warned()
    {
        var warnOnly = Policy with { Action = ReclaimAction.WarnOnly };
        var (warned, _) = IdleWatch.New.Evaluate(Idle, warnOnly, T0);

        var (later, step) = warned.Evaluate(Idle, warnOnly, T0.AddDays(2));

        Assert.Equal((IdleStep.None, IdlePhase.Warned), (step, later.Phase));
    }

    [Fact]
    public void A_keep_withdraws_the_warning_and_pauses_reclaim_for_its_time_only()
    {
        var (warned, _) = IdleWatch.New.Evaluate(Idle, Policy, T0);

        var kept = warned.Keep("  evaluating the checkpoint by hand  ", "alice", Policy, T0.AddMinutes(5));
        var (during, duringStep) = kept.Evaluate(Idle, Policy, T0.AddHours(8));
        var (after, afterStep) = kept.Evaluate(Idle, Policy, T0.AddHours(8).AddMinutes(5));

        Assert.Equal(("evaluating the checkpoint by hand", "alice", T0.AddHours(8).AddMinutes(5)), (kept.KeepReason, kept.KeptBy, kept.KeptUntil));
        Assert.Equal((IdlePhase.Watching, null), (kept.Phase, kept.ActionDueAt));
        Assert.Equal((IdleStep.None, IdlePhase.Watching), (duringStep, during.Phase));
        Assert.Equal((IdleStep.Warn, IdlePhase.Warned), (afterStep, after.Phase));
    }

    [Fact]
    public void A_job_can_be_kept_only_once()
    {
        var kept = IdleWatch.New.Keep("demo on Friday", "alice", Policy, T0);

        var error = Assert.Throws<InvalidOperationException>(() => kept.Keep("again", "alice", Policy, T0.AddDays(1)));

        Assert.Contains("only once", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void A_keep_needs_a_reason(string reason)
    {
        Assert.Throws<ArgumentException>(() => IdleWatch.New.Keep(reason, "alice", Policy, T0));
    }

    [Fact]
    public void A_reclaimed_job_cannot_be_kept_and_is_not_acted_on_twice()
    {
        var (warned, _) = IdleWatch.New.Evaluate(Idle, Policy, T0);
        var (reclaimed, _) = warned.Evaluate(Idle, Policy, T0.AddMinutes(30));

        var (again, step) = reclaimed.Evaluate(Idle, Policy, T0.AddHours(2));

        Assert.Equal(IdleStep.None, step);
        Assert.Same(reclaimed, again);
        Assert.Throws<InvalidOperationException>(() => reclaimed.Keep("too late", "alice", Policy, T0.AddHours(2)));
    }
}

using Portal.Core.Reclaim;

namespace Portal.Core.Tests.Reclaim;

public sealed class IdlePolicyTests
{
    private static readonly IdlePolicy Strict = new(10, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(10), ReclaimAction.Stop, TimeSpan.FromHours(2));
    private static readonly IdlePolicy Lenient = new(2, TimeSpan.FromHours(2), TimeSpan.FromMinutes(5), ReclaimAction.StopAndRequeue, TimeSpan.FromHours(8));

    [Fact]
    public void Without_a_default_or_a_group_policy_nobody_is_reclaimed()
    {
        Assert.Null(IdlePolicy.Resolve(null, []));
    }

    [Fact]
    public void Without_a_group_policy_the_default_applies()
    {
        Assert.Same(Strict, IdlePolicy.Resolve(Strict, []));
    }

    [Fact]
    public void A_group_policy_replaces_the_default_even_when_it_is_stricter()
    {
        Assert.Equal(Strict, IdlePolicy.Resolve(Lenient, [Strict]));
    }

    [Fact]
    public void Several_groups_give_each_setting_its_most_lenient_value()
    {
        var resolved = IdlePolicy.Resolve(null, [Strict, Lenient with { Grace = TimeSpan.FromMinutes(1) }]);

        Assert.Equal(new IdlePolicy(2, TimeSpan.FromHours(2), TimeSpan.FromMinutes(10), ReclaimAction.StopAndRequeue, TimeSpan.FromHours(8)), resolved);
    }

    [Theory]
    [InlineData(ReclaimAction.Stop, ReclaimAction.WarnOnly, ReclaimAction.WarnOnly)]
    [InlineData(ReclaimAction.Stop, ReclaimAction.StopAndRequeue, ReclaimAction.StopAndRequeue)]
    [InlineData(ReclaimAction.StopAndRequeue, ReclaimAction.WarnOnly, ReclaimAction.WarnOnly)]
    public void Warning_only_is_more_lenient_than_a_requeue_which_is_more_lenient_than_a_stop(
        ReclaimAction a, ReclaimAction b, ReclaimAction expected)
    {
        Assert.Equal(expected, IdlePolicy.Resolve(null, [Strict with { Action = a }, Strict with { Action = b }])!.Action);
        Assert.Equal(expected, IdlePolicy.Resolve(null, [Strict with { Action = b }, Strict with { Action = a }])!.Action);
    }

    [Fact]
    public void Every_problem_of_a_bad_policy_is_listed_at_once()
    {
        var bad = new IdlePolicy(0, TimeSpan.FromMinutes(1), TimeSpan.FromDays(-1), (ReclaimAction)9, TimeSpan.Zero);

        Assert.Equal(5, bad.Problems().Count);
        Assert.Empty(Strict.Problems());
    }

    [Fact]
    public void With_shorter_rollup_rows_the_window_is_at_least_five_rows_of_whole_rows()
    {
        var seconds = Strict with { Window = TimeSpan.FromSeconds(10) };

        Assert.Empty(seconds.Problems(TimeSpan.FromSeconds(2)));
        Assert.Single((seconds with { Window = TimeSpan.FromSeconds(8) }).Problems(TimeSpan.FromSeconds(2)));
        Assert.Single((seconds with { Window = TimeSpan.FromSeconds(11) }).Problems(TimeSpan.FromSeconds(2)));
        Assert.Single(seconds.Problems());
    }

    [Fact]
    public void A_window_of_part_minutes_is_refused()
    {
        Assert.Contains("whole minutes", Assert.Single((Strict with { Window = TimeSpan.FromSeconds(610) }).Problems()), StringComparison.Ordinal);
    }
}

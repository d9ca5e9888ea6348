using Microsoft.Extensions.Time.Testing;
using Portal.Core.Scheduling;

namespace Portal.Core.Tests.Scheduling;

public sealed class SchedulingTriggerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_request_wakes_the_loop_with_its_cause()
    {
        var trigger = new SchedulingTrigger(new FakeTimeProvider());

        trigger.Request(SchedulingCause.JobSubmitted);

        Assert.Equal(SchedulingCause.JobSubmitted, await trigger.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
    }

    [Fact]
    public async Task A_burst_of_requests_makes_one_pass_and_then_the_loop_waits_for_the_tick()
    {
        var clock = new FakeTimeProvider();
        var trigger = new SchedulingTrigger(clock);
        trigger.Request(SchedulingCause.JobFinished);
        trigger.Request(SchedulingCause.JobSubmitted);
        trigger.Request(SchedulingCause.QuotaChanged);

        var first = await trigger.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        var second = trigger.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Equal(SchedulingCause.JobFinished, first);
        Assert.False(second.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(SchedulingCause.Tick, await second.WaitAsync(Deadline));
    }

    [Fact]
    public async Task A_request_during_the_wait_ends_it_before_the_tick()
    {
        var trigger = new SchedulingTrigger(new FakeTimeProvider());
        var waiting = trigger.WaitAsync(TimeSpan.FromMinutes(1), CancellationToken.None);

        trigger.Request(SchedulingCause.GpuDrainChanged);

        Assert.Equal(SchedulingCause.GpuDrainChanged, await waiting.WaitAsync(Deadline));
    }

    [Fact]
    public async Task Stopping_cancels_the_wait()
    {
        var trigger = new SchedulingTrigger(new FakeTimeProvider());
        using var stopping = new CancellationTokenSource();
        var waiting = trigger.WaitAsync(TimeSpan.FromMinutes(1), stopping.Token);

        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Deadline));
    }
}

using Portal.Core.Jobs;
using Portal.Web.Services.JobForms;

namespace Portal.Web.Tests.Unit;

public sealed class JobTextTests
{
    [Theory]
    [InlineData(PendingReason.Resources, "Queued: waiting for free GPUs")]
    [InlineData(PendingReason.Priority, "Queued: jobs ahead of it go first")]
    [InlineData(PendingReason.UserGpuLimit, "Queued: your GPU limit is in use")]
    [InlineData(PendingReason.UserJobLimit, "Queued: your job limit is in use")]
    [InlineData(PendingReason.GpuHoursExhausted, "Queued: your GPU-hours for the window are used up")]
    [InlineData(PendingReason.GpuDrained, "Queued: the GPUs it needs are drained")]
    [InlineData(PendingReason.None, "Queued: waiting for the scheduler")]
    public void A_queued_job_says_why_it_waits(PendingReason reason, string expected) =>
        Assert.Equal(expected, JobText.State(JobState.Queued, reason));

    [Fact]
    public void Other_states_read_as_their_name() =>
        Assert.Equal("Running", JobText.State(JobState.Running, PendingReason.None));
}

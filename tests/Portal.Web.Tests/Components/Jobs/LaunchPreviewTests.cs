using Bunit;
using Portal.Core.Quotas;
using Portal.Web.Components.Jobs;
using Portal.Web.Services.JobForms;

namespace Portal.Web.Tests.Components.Jobs;

public sealed class LaunchPreviewTests : BunitContext
{
    private static readonly EffectiveQuota Quota = new(2, 3, 10, 100, TimeSpan.FromDays(7), TimeSpan.FromHours(24), 16, 65536);

    [Fact]
    public void Lists_each_gpu_count_up_to_one_past_the_limit_with_when_it_starts()
    {
        var usage = new QuotaUsage(Quota, RunningGpus: 1, RunningJobs: 1, QueuedJobs: 0, GpuSecondsInWindow: 0);

        var preview = Render<LaunchPreview>(p => p.Add(c => c.Usage, usage).Add(c => c.UsableGpus, 4).Add(c => c.FreeGpus, 3));

        var items = preview.FindAll("li");
        Assert.Equal(["0", "1", "2", "3"], items.Select(i => i.GetAttribute("data-gpus")!));
        Assert.Equal("No GPU: starts now", items[0].TextContent.Trim());
        Assert.Equal("1 GPU: starts now", items[1].TextContent.Trim());
        Assert.Equal("2 GPUs: waits: your GPU limit 2 is in use (1 held by your jobs)", items[2].TextContent.Trim());
        Assert.Equal("3 GPUs: refused: your GPU limit is 2", items[3].TextContent.Trim());
        Assert.Equal("preview-now", items[1].ClassName);
        Assert.Equal("preview-waits", items[2].ClassName);
    }

    [Fact]
    public void Reasons_come_in_the_schedulers_order()
    {
        var idle = new QuotaUsage(Quota, 0, 0, 0, 0);
        Assert.Equal((false, "waits: only 1 GPU is in service"), StartPreview.For(2, idle, usableGpus: 1, freeGpus: 1));
        Assert.Equal((false, "waits: no GPU is in service"), StartPreview.For(1, idle, usableGpus: 0, freeGpus: 0));
        Assert.Equal((false, "waits for free GPUs: 0 of 2 free now"), StartPreview.For(1, idle, usableGpus: 2, freeGpus: 0));
        Assert.Equal((true, "starts now"), StartPreview.For(0, idle, usableGpus: 0, freeGpus: 0));

        var atJobLimit = new QuotaUsage(Quota, 0, 3, 0, 0);
        Assert.Equal((false, "waits: your job limit 3 is in use"), StartPreview.For(0, atJobLimit, 2, 2));

        var hoursUsedUp = new QuotaUsage(Quota, 0, 0, 0, 100 * 3600);
        Assert.Equal((false, "waits: your GPU-hours for the window are used up"), StartPreview.For(1, hoursUsedUp, 2, 2));
        // CPU-only jobs are not held back by GPU-hours.
        Assert.Equal((true, "starts now"), StartPreview.For(0, hoursUsedUp, 2, 2));
    }
}

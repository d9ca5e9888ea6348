using Bunit;
using Portal.Core.Quotas;
using Portal.Web.Components.Quotas;

namespace Portal.Web.Tests.Components.Quotas;

public sealed class QuotaBarsTests : BunitContext
{
    private static readonly EffectiveQuota Quota = new(
        MaxConcurrentGpus: 2, MaxConcurrentJobs: 4, MaxQueuedJobs: 20, GpuHoursPerWindow: 100, Window: TimeSpan.FromDays(7),
        MaxWalltime: TimeSpan.FromHours(24), MaxCpusPerJob: 16, MaxMemoryMiBPerJob: 65536);

    [Fact]
    public void Each_limit_shows_its_use_and_a_bar_of_that_share()
    {
        var usage = new QuotaUsage(Quota, RunningGpus: 1, RunningJobs: 1, QueuedJobs: 5, GpuSecondsInWindow: 25 * 3600);

        var bars = Render<QuotaBars>(p => p.Add(b => b.Usage, usage));

        Assert.Equal("1 of 2", bars.Find(".quota-gpus .quota-value").TextContent);
        Assert.Equal("1 of 4", bars.Find(".quota-jobs .quota-value").TextContent);
        Assert.Equal("5 of 20", bars.Find(".quota-queued .quota-value").TextContent);
        Assert.Equal("25 of 100", bars.Find(".quota-gpu-hours .quota-value").TextContent);
        Assert.Contains("GPU-hours in the last 7 days", bars.Find(".quota-gpu-hours").TextContent, StringComparison.Ordinal);
        Assert.Equal("width: 50%", bars.Find(".quota-gpus .quota-fill").GetAttribute("style"));
        Assert.Equal("width: 25%", bars.Find(".quota-gpu-hours .quota-fill").GetAttribute("style"));
        Assert.Equal("1", bars.Find(".quota-gpus [role=progressbar]").GetAttribute("aria-valuenow"));
        Assert.Empty(bars.FindAll(".quota-bar.full"));
        Assert.Contains("up to 24 h walltime, 16 CPUs and 65536 MiB",
            System.Text.RegularExpressions.Regex.Replace(bars.Find(".hint").TextContent, @"\s+", " "), StringComparison.Ordinal);
    }

    [Fact]
    public void A_limit_in_full_use_turns_red_and_says_what_waits()
    {
        var usage = new QuotaUsage(Quota, RunningGpus: 2, RunningJobs: 2, QueuedJobs: 0, GpuSecondsInWindow: 120 * 3600);

        var bars = Render<QuotaBars>(p => p.Add(b => b.Usage, usage));

        Assert.Contains("full", bars.Find(".quota-gpus").ClassName, StringComparison.Ordinal);
        Assert.Equal("new GPU jobs wait until one of yours ends", bars.Find(".quota-gpus .quota-full-note").TextContent);
        // Over the limit (the window's use can exceed it): the bar stops at 100 %.
        Assert.Equal("width: 100%", bars.Find(".quota-gpu-hours .quota-fill").GetAttribute("style"));
        Assert.Equal("120 of 100", bars.Find(".quota-gpu-hours .quota-value").TextContent);
        Assert.DoesNotContain("full", bars.Find(".quota-jobs").ClassName, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zero_limit_reads_not_allowed()
    {
        var usage = new QuotaUsage(Quota with { MaxConcurrentGpus = 0 }, 0, 0, 0, 0);

        var bars = Render<QuotaBars>(p => p.Add(b => b.Usage, usage));

        Assert.Equal("0 of 0: not allowed", bars.Find(".quota-gpus .quota-value").TextContent);
        Assert.Equal("your quota allows none", bars.Find(".quota-gpus .quota-full-note").TextContent);
    }

    [Fact]
    public void Shown_to_an_admin_about_another_user_the_notes_speak_of_the_users_quota_not_yours()
    {
        var full = new QuotaUsage(Quota, RunningGpus: 2, RunningJobs: 2, QueuedJobs: 0, GpuSecondsInWindow: 0);
        var none = new QuotaUsage(Quota with { MaxConcurrentGpus = 0 }, 0, 0, 0, 0);

        var fullBars = Render<QuotaBars>(p => p.Add(b => b.Usage, full).Add(b => b.OfAnotherUser, true));
        var noneBars = Render<QuotaBars>(p => p.Add(b => b.Usage, none).Add(b => b.OfAnotherUser, true));

        Assert.Equal("new GPU jobs wait until one of the user's jobs ends", fullBars.Find(".quota-gpus .quota-full-note").TextContent);
        Assert.Equal("the user's quota allows none", noneBars.Find(".quota-gpus .quota-full-note").TextContent);
        Assert.DoesNotContain("your", fullBars.Markup + noneBars.Markup, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(7 * 24 * 60, "7 days")]
    [InlineData(24 * 60, "day")]
    [InlineData(12 * 60, "12 hours")]
    [InlineData(90, "1.5 hours")]
    [InlineData(30, "30 minutes")]
    public void Window_reads_in_the_largest_whole_unit(int minutes, string expected) =>
        Assert.Equal(expected, QuotaBars.Window(TimeSpan.FromMinutes(minutes)));
}

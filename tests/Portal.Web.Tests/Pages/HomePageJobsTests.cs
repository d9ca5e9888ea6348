using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data.Jobs;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Pages;

/// <summary>The home page's jobs: the user's own running and queued jobs and the whole queue in counts, never another
/// user's job by name.</summary>
public sealed class HomePageJobsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Home_lists_my_queued_job_and_counts_everyones_queue_without_naming_theirs()
    {
        using PortalSession hal = await portal.SignInNewAsync("hal", linuxUser: "ptest-home-hal");
        var other = await portal.CreateUserAsync(TestNames.Unique("ida"), TestNames.Password, linuxUser: "ptest-home-ida");
        long mine = await portal.QueuedJobAsync(hal.User.Id, gpus: 0, name: "home-mine");
        long theirs = await portal.QueuedJobAsync(other.Id, gpus: 0, name: "home-theirs");
        QueueSummary expected = await portal.Services.GetRequiredService<JobStore>().QueueSummaryAsync();

        string home = WebUtility.HtmlDecode(await hal.Client.PageAsync("/"));

        Assert.Contains($"data-job-id=\"{mine}\"", home, StringComparison.Ordinal);
        Assert.Contains("home-mine", home, StringComparison.Ordinal);
        Assert.DoesNotContain($"data-job-id=\"{theirs}\"", home, StringComparison.Ordinal);
        Assert.DoesNotContain("home-theirs", home, StringComparison.Ordinal);
        Assert.True(expected.Queued >= 2 && expected.Users >= 2, expected.ToString());
        Assert.Contains($"{expected.Queued} jobs queued", home, StringComparison.Ordinal);
        Assert.Contains($"from {expected.Users} users", home, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Home_says_so_when_I_have_no_jobs()
    {
        using PortalSession jan = await portal.SignInNewAsync("jan", linuxUser: "ptest-home-jan");

        string home = WebUtility.HtmlDecode(await jan.Client.PageAsync("/"));

        Assert.Contains("You have no jobs yet.", home, StringComparison.Ordinal);
    }
}

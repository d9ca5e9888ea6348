using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Jobs;
using Portal.Data.Entities.Jobs;
using Portal.Data.Jobs;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Pages;

public sealed class JobListPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task The_list_searches_name_image_and_id_and_filters_by_state()
    {
        using PortalSession amy = await portal.SignInNewAsync("list-amy", linuxUser: "ptest-list-amy");
        long train = await portal.QueuedJobAsync(amy.User.Id, gpus: 0, name: "alpha-train");
        long eval = await portal.QueuedJobAsync(amy.User.Id, gpus: 0, name: "beta-eval");
        JobChangeResult cancelled = await portal.Services.GetRequiredService<JobStore>().CancelQueuedAsync(eval, "amy");
        Assert.True(cancelled.Applied, cancelled.Message);

        string byName = await amy.Client.PageAsync("/jobs?q=TRAIN");
        string byId = await amy.Client.PageAsync($"/jobs?q=%23{eval}");
        string byImage = await amy.Client.PageAsync("/jobs?q=busybox");
        string wildcard = await amy.Client.PageAsync("/jobs?q=%25");
        string onlyCancelled = await amy.Client.PageAsync("/jobs?state=Cancelled");

        Assert.Contains(Row(train), byName, StringComparison.Ordinal);
        Assert.DoesNotContain(Row(eval), byName, StringComparison.Ordinal);
        Assert.Contains(Row(eval), byId, StringComparison.Ordinal);
        Assert.DoesNotContain(Row(train), byId, StringComparison.Ordinal);
        Assert.Contains(Row(train), byImage, StringComparison.Ordinal);
        Assert.Contains(Row(eval), byImage, StringComparison.Ordinal);
        // A LIKE wildcard typed into the box is a plain character: no job name holds '%'.
        Assert.Contains("No jobs match.", wildcard, StringComparison.Ordinal);
        Assert.Contains(Row(eval), onlyCancelled, StringComparison.Ordinal);
        Assert.DoesNotContain(Row(train), onlyCancelled, StringComparison.Ordinal);
        // A state is a badge with words, not colour alone.
        Assert.Contains("<span class=\"badge state-cancelled\">Cancelled</span>", onlyCancelled, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_list_sorts_by_name_both_ways_and_newest_first_by_default()
    {
        using PortalSession cy = await portal.SignInNewAsync("list-cy", linuxUser: "ptest-list-cy");
        long b = await portal.QueuedJobAsync(cy.User.Id, gpus: 0, name: "b-job");
        long a = await portal.QueuedJobAsync(cy.User.Id, gpus: 0, name: "a-job");
        long c = await portal.QueuedJobAsync(cy.User.Id, gpus: 0, name: "c-job");

        string byDefault = await cy.Client.PageAsync("/jobs");
        string ascending = await cy.Client.PageAsync("/jobs?sort=name&dir=asc");
        string descending = await cy.Client.PageAsync("/jobs?sort=name&dir=desc");

        Assert.Equal([c, a, b], Order(byDefault, a, b, c));
        Assert.Equal([a, b, c], Order(ascending, a, b, c));
        Assert.Equal([c, b, a], Order(descending, a, b, c));
        Assert.Contains("aria-sort=\"ascending\"", ascending, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bulk_cancel_cancels_the_users_own_jobs_and_refuses_another_users_job_untouched()
    {
        using PortalSession dee = await portal.SignInNewAsync("list-dee", linuxUser: "ptest-list-dee");
        using PortalSession eve = await portal.SignInNewAsync("list-eve", linuxUser: "ptest-list-eve");
        long first = await portal.QueuedJobAsync(dee.User.Id, gpus: 0, name: "mine-1");
        long second = await portal.QueuedJobAsync(dee.User.Id, gpus: 0, name: "mine-2");
        long others = await portal.QueuedJobAsync(eve.User.Id, gpus: 0, name: "not-mine");

        using HttpResponseMessage unconfirmed = await dee.Client.PostFormAsync("/jobs", "bulk-cancel", [new("Selected", $"{first}")]);
        Assert.Contains("Tick the box to confirm.", await unconfirmed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(JobStateColumn.Queued, await StateAsync(first));

        using HttpResponseMessage response = await dee.Client.PostFormAsync("/jobs", "bulk-cancel",
            [new("Selected", $"{first}"), new("Selected", $"{second}"), new("Selected", $"{others}"), new("ConfirmBulk", "true")]);

        string page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"Cancelled 2: #{first}, #{second}.", page, StringComparison.Ordinal);
        Assert.Contains($"Not cancelled 1: #{others}: There is no job {others} that you can see.", page, StringComparison.Ordinal);
        Assert.Equal(JobStateColumn.Cancelled, await StateAsync(first));
        Assert.Equal(JobStateColumn.Cancelled, await StateAsync(second));
        Assert.Equal(JobStateColumn.Queued, await StateAsync(others));
        Assert.DoesNotContain(Row(others), page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_job_shows_its_reason_and_hint_at_the_top_of_its_page_and_short_in_the_list()
    {
        using PortalSession fin = await portal.SignInNewAsync("list-fin", linuxUser: "ptest-list-fin");
        string gpu = await portal.AddGpuAsync();
        JobStore store = portal.Services.GetRequiredService<JobStore>();
        long job = await portal.QueuedJobAsync(fin.User.Id, gpus: 1, name: "no-image");
        // Started as the runner would, then refused by podman before a container existed.
        JobChangeResult starting = await store.CommitStartAsync(job, [gpu]);
        Assert.True(starting.Applied, starting.Message);
        JobChangeResult failed = await store.FinishAsync(
            job, JobState.Failed, exitCode: null, "Error: localhost/nope:latest: image not known");
        Assert.True(failed.Applied, failed.Message);

        string page = WebUtility.HtmlDecode(await fin.Client.PageAsync($"/jobs/{job}"));
        string list = WebUtility.HtmlDecode(await fin.Client.PageAsync("/jobs"));

        int reason = page.IndexOf("The image is not in your account's image storage.", StringComparison.Ordinal);
        Assert.True(reason > 0, "the reason is on the page");
        // At the top: before the log and the history.
        Assert.True(reason < page.IndexOf("<h2>History</h2>", StringComparison.Ordinal));
        Assert.Contains("<a href=\"/jobs/new\">Launch with one of your images</a>", page, StringComparison.Ordinal);
        Assert.Contains("'ptest-list-fin'", page, StringComparison.Ordinal);
        Assert.Contains("<pre>Error: localhost/nope:latest: image not known</pre>", page, StringComparison.Ordinal);
        Assert.Contains("<div class=\"job-reason\">The image is not in your account's image storage.</div>", list, StringComparison.Ordinal);
    }

    private static string Row(long id) => $"data-job-id=\"{id}\"";

    private static long[] Order(string page, params long[] ids) =>
        [.. ids.OrderBy(id => page.IndexOf(Row(id), StringComparison.Ordinal))];

    private Task<JobStateColumn> StateAsync(long id) =>
        portal.WithDbAsync(db => db.Set<JobRecord>().Where(j => j.Id == id).Select(j => j.State).SingleAsync());
}

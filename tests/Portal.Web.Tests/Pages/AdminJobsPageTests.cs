using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Scheduling;
using Portal.Data.Entities;
using Portal.Data.Entities.Jobs;
using Portal.Web.Services.Audit;
using Portal.Jobs;
using Portal.Web.Tests.Infrastructure;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.Pages;

public sealed class AdminJobsPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Admin_sees_every_users_jobs_and_filters_by_user_and_state()
    {
        PortalUser ann = await portal.CreateUserAsync(TestNames.Unique("ann"), TestNames.Password, linuxUser: "ptest-jobs-ann");
        PortalUser ben = await portal.CreateUserAsync(TestNames.Unique("ben"), TestNames.Password, linuxUser: "ptest-jobs-ben");
        long annJob = await portal.QueuedJobAsync(ann.Id, gpus: 0, name: "ann-job");
        long benJob = await portal.QueuedJobAsync(ben.Id, gpus: 0, name: "ben-job");
        // A pass gives the queued jobs their pending reason (their owners' overrides allow no running job).
        portal.Services.GetRequiredService<JobRunner>().RequestPass(SchedulingCause.JobSubmitted);
        await Eventually.UntilAsync(
            () => portal.WithDbAsync(db => db.Jobs.AsNoTracking().Where(j => j.Id == annJob).Select(j => j.PendingReason).SingleAsync()),
            reason => reason == PendingReasonColumn.UserJobLimit, TimeSpan.FromSeconds(30), "the job's pending reason");
        using PortalSession admin = await portal.SignInNewAsync("jobs-admin", admin: true);

        string all = WebUtility.HtmlDecode(await admin.Client.PageAsync("/admin/jobs"));
        string annOnly = WebUtility.HtmlDecode(await admin.Client.PageAsync($"/admin/jobs?user={ann.Id}&state=Queued"));
        string finished = WebUtility.HtmlDecode(await admin.Client.PageAsync($"/admin/jobs?user={ann.Id}&state=Succeeded"));

        Assert.Contains($"data-job-id=\"{annJob}\"", all, StringComparison.Ordinal);
        Assert.Contains($"data-job-id=\"{benJob}\"", all, StringComparison.Ordinal);
        Assert.Contains($"data-job-id=\"{annJob}\"", annOnly, StringComparison.Ordinal);
        Assert.DoesNotContain($"data-job-id=\"{benJob}\"", annOnly, StringComparison.Ordinal);
        // The pending reason reads as a sentence: the owner's override allows no running job.
        Assert.Contains("Queued: your job limit is in use", annOnly, StringComparison.Ordinal);
        Assert.Contains("No jobs match these filters.", finished, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_cancels_another_users_job_after_confirming_and_it_is_audited()
    {
        PortalUser owner = await portal.CreateUserAsync(TestNames.Unique("owner"), TestNames.Password, linuxUser: "ptest-jobs-cat");
        long job = await portal.QueuedJobAsync(owner.Id, gpus: 0, name: "to-cancel");
        using PortalSession admin = await portal.SignInNewAsync("jobs-admin", admin: true);

        string confirm = WebUtility.HtmlDecode(await admin.Client.PageAsync($"/admin/jobs?confirm={job}"));
        Assert.Contains($"Cancel job #{job} (to-cancel) of ptest-jobs-cat?", confirm, StringComparison.Ordinal);

        using HttpResponseMessage unconfirmed = await admin.Client.PostFormAsync("/admin/jobs", "admin-job-cancel", [new("JobId", $"{job}")]);
        Assert.Contains("Tick the box to confirm.", await unconfirmed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(JobStateColumn.Queued, await StateAsync(job));

        using HttpResponseMessage cancelled = await admin.Client.PostFormAsync("/admin/jobs", "admin-job-cancel",
            [new("JobId", $"{job}"), new("Confirm", "true")]);

        Assert.Contains($"Job {job} is cancelled.", await cancelled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(JobStateColumn.Cancelled, await StateAsync(job));
        AuditEvent audit = await portal.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.Action == AuditActions.JobCancelled && e.Target == $"job {job} of ptest-jobs-cat").SingleAsync());
        Assert.True(audit.Succeeded);
        Assert.Equal(admin.User.UserName, audit.ActorName);
    }

    [Fact]
    public async Task Plain_user_cannot_use_the_admin_cancel_on_someone_elses_job()
    {
        PortalUser owner = await portal.CreateUserAsync(TestNames.Unique("victim"), TestNames.Password, linuxUser: "ptest-jobs-dan");
        long job = await portal.QueuedJobAsync(owner.Id, gpus: 0, name: "victim-job");
        using PortalSession user = await portal.SignInNewAsync("jobs-user", linuxUser: "ptest-jobs-eve");

        using HttpResponseMessage page = await user.Client.Http.GetAsync("/admin/jobs");
        using HttpResponseMessage post = await user.Client.PostFormAsync("/admin/jobs", "admin-job-cancel",
            [new("JobId", $"{job}"), new("Confirm", "true")], tokenFrom: "/");

        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal(JobStateColumn.Queued, await StateAsync(job));
    }

    private Task<JobStateColumn> StateAsync(long id) =>
        portal.WithDbAsync(db => db.Jobs.AsNoTracking().Where(j => j.Id == id).Select(j => j.State).SingleAsync());
}

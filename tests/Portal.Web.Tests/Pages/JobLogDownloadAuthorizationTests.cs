using System.Net;
using Portal.Data.Entities;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Pages;

/// <summary>Who may download a job's log (the content itself is tested with real containers in Jobs/JobLogTests).</summary>
public sealed class JobLogDownloadAuthorizationTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Another_user_gets_404_for_the_log_and_the_page_like_for_a_job_that_does_not_exist()
    {
        PortalUser owner = await portal.CreateUserAsync(TestNames.Unique("log-owner"), TestNames.Password, linuxUser: "ptest-log-owner");
        long job = await portal.QueuedJobAsync(owner.Id, gpus: 0, name: "secret-log");
        using PortalSession other = await portal.SignInNewAsync("log-other", linuxUser: "ptest-log-other");

        using HttpResponseMessage log = await other.Client.Http.GetAsync($"/jobs/{job}/log");
        using HttpResponseMessage missing = await other.Client.Http.GetAsync("/jobs/999999999/log");
        using HttpResponseMessage page = await other.Client.Http.GetAsync($"/jobs/{job}");

        Assert.Equal(HttpStatusCode.NotFound, log.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        string body = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret-log", body, StringComparison.Ordinal);
        // A person who followed a stale link gets a page that says so, not the browser's bare error screen.
        Assert.Contains("There is nothing at this address that you can see", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Owner_and_admin_are_told_that_a_queued_job_has_no_log_yet()
    {
        using PortalSession owner = await portal.SignInNewAsync("log-owner", linuxUser: "ptest-log-queued");
        long job = await portal.QueuedJobAsync(owner.User.Id, gpus: 0);
        using PortalSession admin = await portal.SignInNewAsync("log-admin", admin: true);

        foreach (PortalClient client in new[] { owner.Client, admin.Client })
        {
            using HttpResponseMessage response = await client.Http.GetAsync($"/jobs/{job}/log");
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal($"Job {job} has not started, so it has no log yet.", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Anonymous_visitor_is_sent_to_sign_in()
    {
        using PortalClient anonymous = portal.CreatePortalClient();

        using HttpResponseMessage response = await anonymous.Http.GetAsync("/jobs/1/log");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.RedirectPath(), StringComparison.Ordinal);
    }
}

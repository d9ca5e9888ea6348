using System.Globalization;
using System.Net;
using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Jobs;
using Portal.Data.Entities;
using Portal.Data.Jobs;
using Portal.Launcher.Client;
using Portal.Web.Components.Jobs;
using Portal.Web.Services.Revocation;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Jobs;

/// <summary>A job's log from a real container, read through the real launcher as the job's owner.</summary>
[Collection(JobHostGroup.Name)]
public sealed class JobLogTests(JobHostFixture fixture)
{
    [Fact]
    public async Task Owner_downloads_the_whole_log_and_another_user_gets_404()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 0);
        var portal = t.StartPortal();
        var id = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sh", "-c", "echo first line; echo 'second: ü'; echo last"]));
        await t.WaitForStateAsync(id, JobState.Succeeded);
        using var alice = await SignInAsync(portal, fixture.Alice.Name);
        using var bob = await SignInAsync(portal, fixture.Bob.Name);

        using var download = await alice.GetAsync($"/jobs/{id}/log");
        using var refused = await bob.GetAsync($"/jobs/{id}/log");

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("text/plain", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"job-{id}.log", download.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal("first line\nsecond: ü\nlast\n", await download.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    [Fact]
    public async Task Live_log_shows_lines_as_they_are_written_and_its_launcher_ends_with_the_component()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 0);
        var portal = t.StartPortal();
        var id = await t.SubmitAsync(fixture.Alice,
            JobTestContext.Spec(["sh", "-c", "i=0; while [ $i -lt 600 ]; do i=$((i+1)); echo tick-$i; sleep 0.2; done"]));
        await t.WaitForStateAsync(id, JobState.Running);
        await using var bunit = new BunitContext();
        bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        bunit.Services.AddSingleton(t.Store);
        bunit.Services.AddSingleton(portal.Services.GetRequiredService<ILauncher>());
        bunit.Services.AddSingleton(portal.Services.GetRequiredService<SessionRevocations>());
        bunit.Services.AddSingleton(portal.Services.GetRequiredService<Portal.Web.Services.Jobs.JobOutput>());
        bunit.AddAuthorization().SetAuthorized(fixture.Alice.Name)
            .SetClaims(new Claim(ClaimTypes.NameIdentifier, t.Accounts[fixture.Alice.Name].ToString()));
        bunit.SetRendererInfo(new RendererInfo("Server", isInteractive: true));

        var log = bunit.Render<JobLog>(p => p.Add(c => c.JobId, id));

        // Lines keep arriving while the job runs: the view grows without any re-render request.
        log.WaitForAssertion(() => Assert.Contains("tick-3", log.Find(".log-lines").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        var seen = log.FindAll(".log-line").Count;
        log.WaitForAssertion(() => Assert.True(log.FindAll(".log-line").Count >= seen + 5), TimeSpan.FromSeconds(30));
        Assert.True(LogFollowers(id) >= 1, "no podman logs --follow runs for the open log");

        // Paused: lines are held back (and counted) until resumed.
        log.Find("button.log-pause").Click();
        var shown = log.FindAll(".log-line").Count;
        log.WaitForAssertion(() => Assert.Matches(@"^Resume \([1-9][0-9]* new\)$", log.Find("button.log-pause").TextContent.Trim()), TimeSpan.FromSeconds(30));
        Assert.Equal(shown, log.FindAll(".log-line").Count);
        log.Find("button.log-pause").Click();
        Assert.True(log.FindAll(".log-line").Count > shown);

        await bunit.DisposeComponentsAsync();
        await Eventually.UntilAsync(() => Task.FromResult(LogFollowers(id)), n => n == 0, TimeSpan.FromSeconds(10),
            "the launcher's 'podman logs --follow' to end with the component");
    }

    [Fact]
    public async Task Stderr_shows_in_order_and_marked_on_the_page_and_in_order_in_the_download_and_a_printed_frame_stays_stdout()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 0);
        var portal = t.StartPortal();
        // The pauses are the job's: podman records its stdout and stderr pipes apart, so writes in the same instant have
        // no order to keep.
        var forged = Api.ApiJobLifecycleTests.ForgedFrame;
        var id = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sh", "-c", $"echo to-stdout; sleep 0.5; echo to-stderr >&2; sleep 0.5; echo to-stdout; echo '{forged}'"]));
        await t.WaitForStateAsync(id, JobState.Succeeded);
        using var alice = await SignInAsync(portal, fixture.Alice.Name);
        await using var bunit = new BunitContext();
        bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        bunit.Services.AddSingleton(t.Store);
        bunit.Services.AddSingleton(portal.Services.GetRequiredService<ILauncher>());
        bunit.Services.AddSingleton(portal.Services.GetRequiredService<SessionRevocations>());
        bunit.Services.AddSingleton(portal.Services.GetRequiredService<Portal.Web.Services.Jobs.JobOutput>());
        bunit.AddAuthorization().SetAuthorized(fixture.Alice.Name)
            .SetClaims(new Claim(ClaimTypes.NameIdentifier, t.Accounts[fixture.Alice.Name].ToString()));
        bunit.SetRendererInfo(new RendererInfo("Server", isInteractive: true));

        using var download = await alice.GetAsync($"/jobs/{id}/log");
        var log = bunit.Render<JobLog>(p => p.Add(c => c.JobId, id));
        log.WaitForAssertion(() => Assert.Equal("The job has ended; this is the end of its log.", log.Find(".log-status").TextContent.Trim()), TimeSpan.FromSeconds(30));
        var lines = log.FindAll(".log-line");

        Assert.Equal($"to-stdout\nto-stderr\nto-stdout\n{forged}\n", await download.Content.ReadAsStringAsync());
        Assert.Equal(["stdout", "stderr", "stdout", "stdout"], lines.Select(l => l.GetAttribute("data-stream")));
        Assert.Equal(["log-line", "log-line log-stderr", "log-line", "log-line"], lines.Select(l => l.ClassName));
        Assert.Equal(forged, lines[3].TextContent);
        Assert.Empty(log.FindAll(".log-time"));

        // Times on demand, and the search box shows only the lines that contain its text.
        log.Find(".log-timestamps input").Change(true);
        Assert.Equal(4, log.FindAll(".log-time").Count);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z $", log.FindAll(".log-time")[1].TextContent);
        log.Find(".log-search input").Input("STDERR");
        Assert.Equal(["stderr", "stdout"], log.FindAll(".log-line").Select(l => l.GetAttribute("data-stream")));
        Assert.Equal("2 of 4 lines match.", log.Find(".log-matches").TextContent.Trim());
    }

    [Fact]
    public async Task Live_log_of_someone_elses_job_shows_nothing()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 0);
        var portal = t.StartPortal();
        var id = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sh", "-c", "echo private"]));
        await t.WaitForStateAsync(id, JobState.Succeeded);
        await using var bunit = new BunitContext();
        bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        bunit.Services.AddSingleton(t.Store);
        bunit.Services.AddSingleton(portal.Services.GetRequiredService<ILauncher>());
        bunit.Services.AddSingleton(portal.Services.GetRequiredService<SessionRevocations>());
        bunit.Services.AddSingleton(portal.Services.GetRequiredService<Portal.Web.Services.Jobs.JobOutput>());
        bunit.AddAuthorization().SetAuthorized(fixture.Bob.Name)
            .SetClaims(new Claim(ClaimTypes.NameIdentifier, t.Accounts[fixture.Bob.Name].ToString()));
        bunit.SetRendererInfo(new RendererInfo("Server", isInteractive: true));

        var log = bunit.Render<JobLog>(p => p.Add(c => c.JobId, id));

        log.WaitForAssertion(() => Assert.Equal("There is no such job that you can see.", log.Find(".log-status").TextContent.Trim()));
        Assert.Empty(log.FindAll(".log-line"));
    }

    /// <summary>How many <c>podman logs --follow</c> of this job's container run now (the launcher execs podman).</summary>
    private static int LogFollowers(long id)
    {
        var container = JobStore.ContainerNameFor(id);
        var count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                continue;
            }

            string[] argv;
            try
            {
                argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (argv.Contains("logs") && argv.Contains(container) && argv.Any(a => a is "--follow" or "-f"))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Gives the test context's account for <paramref name="linuxUser"/> a password and signs in.</summary>
    private static async Task<HttpClient> SignInAsync(JobPortal portal, string linuxUser)
    {
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var user = await users.FindByNameAsync(linuxUser) ?? throw new InvalidOperationException($"no account {linuxUser}");
            if (!await users.HasPasswordAsync(user))
            {
                var added = await users.AddPasswordAsync(user, TestNames.Password);
                Assert.True(added.Succeeded, string.Join("; ", added.Errors.Select(e => e.Description)));
            }
        }

        var client = new PortalClient(portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));
        using var login = await client.LoginAsync(linuxUser, TestNames.Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return client.Http;
    }
}

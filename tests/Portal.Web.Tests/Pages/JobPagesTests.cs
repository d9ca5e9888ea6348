using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Gpus;
using Portal.Data.Entities.Jobs;
using Portal.Data.Jobs;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Pages;

public sealed class JobPagesTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Launch_form_queues_a_job_that_the_owner_then_sees_in_the_list_and_detail()
    {
        using PortalClient alice = await SignInAsync("ptest-page-alice");

        using HttpResponseMessage submitted = await LaunchAsync(alice, name: "hello", image: "localhost/busybox:latest", gpus: 0);

        Assert.Equal(HttpStatusCode.Redirect, submitted.StatusCode);
        string detailPath = submitted.RedirectPath()!;
        Assert.Matches("^/jobs/[0-9]+$", detailPath);
        string detail = WebUtility.HtmlDecode(await alice.PageAsync(detailPath));
        Assert.Contains("hello", detail, StringComparison.Ordinal);
        Assert.Contains("localhost/busybox:latest", detail, StringComparison.Ordinal);
        Assert.Contains("echo hi", detail, StringComparison.Ordinal);
        string list = await alice.PageAsync("/jobs");
        Assert.Contains($"href=\"{detailPath}\"", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Launch_form_shows_field_errors_and_queues_nothing()
    {
        using PortalClient bob = await SignInAsync("ptest-page-bob");
        int before = await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync());

        using HttpResponseMessage response = await LaunchAsync(bob, name: "", image: "-privileged", gpus: 0, environment: "NOEQUALS");

        string page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("'NOEQUALS' is not NAME=value.", page, StringComparison.Ordinal);
        Assert.Equal(before, await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync()));

        using HttpResponseMessage invalid = await LaunchAsync(bob, name: "", image: "-privileged", gpus: 0);
        string errors = WebUtility.HtmlDecode(await invalid.Content.ReadAsStringAsync());
        Assert.Contains("class=\"validation-message\"", errors, StringComparison.Ordinal);
        Assert.Equal(before, await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync()));
    }

    [Fact]
    public async Task Another_users_job_is_not_found_and_cannot_be_cancelled()
    {
        using PortalClient carol = await SignInAsync("ptest-page-carol");
        using HttpResponseMessage submitted = await LaunchAsync(carol, name: "private", image: "localhost/busybox:latest", gpus: 0);
        string path = submitted.RedirectPath()!;
        using PortalClient dave = await SignInAsync("ptest-page-dave");

        using HttpResponseMessage peek = await dave.Http.GetAsync(path);
        using HttpResponseMessage cancel = await dave.PostFormAsync(path, "cancel", [new("Confirm", "true")], tokenFrom: "/jobs");

        Assert.Equal(HttpStatusCode.NotFound, peek.StatusCode);
        Assert.DoesNotContain("private", await peek.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // The cancel form is not on the page Dave sees, so the post matches no form and is refused.
        Assert.Contains(cancel.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.BadRequest });
        long id = long.Parse(path["/jobs/".Length..], System.Globalization.CultureInfo.InvariantCulture);
        JobStateColumn state = await portal.WithDbAsync(db => db.Set<JobRecord>().Where(j => j.Id == id).Select(j => j.State).SingleAsync());
        Assert.NotEqual(JobStateColumn.Cancelled, state);
        Assert.DoesNotContain(path, await dave.PageAsync("/jobs"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Owner_cancels_a_queued_job_after_confirming()
    {
        // The only GPU is drained, so the job waits (GpuDrained) however fast the runner is.
        string gpu = $"GPU-{Guid.NewGuid()}";
        GpuStore gpus = portal.Services.GetRequiredService<GpuStore>();
        await gpus.UpsertGpusAsync([new GpuDevice(0, gpu, "Test GPU", 1024, null, "/dev/nvidia0", [])]);
        Assert.Equal(GpuDrainOutcome.Done, await gpus.SetGpuDrainedAsync(gpu, drained: true, "test", "keeps the job queued"));
        using PortalClient erin = await SignInAsync("ptest-page-erin");
        using HttpResponseMessage submitted = await LaunchAsync(erin, name: "cancel-me", image: "localhost/busybox:latest", gpus: 1);
        string path = submitted.RedirectPath()!;
        Assert.Contains("Queued", await erin.PageAsync(path), StringComparison.Ordinal);

        using HttpResponseMessage unconfirmed = await erin.PostFormAsync(path, "cancel", []);
        Assert.Contains("Tick the box", await unconfirmed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using HttpResponseMessage cancelled = await erin.PostFormAsync(path, "cancel", [new("Confirm", "true")]);
        string page = await cancelled.Content.ReadAsStringAsync();
        Assert.Contains("The job is cancelled.", page, StringComparison.Ordinal);
        Assert.Contains("<dd class=\"job-state\">Cancelled</dd>", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stale_cancel_of_a_job_that_has_ended_gets_the_page_saying_so_not_a_bare_400()
    {
        string gpu = $"GPU-{Guid.NewGuid()}";
        GpuStore gpus = portal.Services.GetRequiredService<GpuStore>();
        await gpus.UpsertGpusAsync([new GpuDevice(0, gpu, "Test GPU", 1024, null, "/dev/nvidia0", [])]);
        Assert.Equal(GpuDrainOutcome.Done, await gpus.SetGpuDrainedAsync(gpu, drained: true, "test", "keeps the job queued"));
        using PortalClient fay = await SignInAsync("ptest-page-fay");
        using HttpResponseMessage submitted = await LaunchAsync(fay, name: "cancel-twice", image: "localhost/busybox:latest", gpus: 1);
        string path = submitted.RedirectPath()!;
        using HttpResponseMessage first = await fay.PostFormAsync(path, "cancel", [new("Confirm", "true")]);
        Assert.Contains("The job is cancelled.", await first.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The same form again, as from a second tab opened while the job was queued.
        using HttpResponseMessage stale = await fay.PostFormAsync(path, "cancel", [new("Confirm", "true")]);

        string page = await stale.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Contains("it has ended already", page, StringComparison.Ordinal);
        Assert.Contains("<dd class=\"job-state\">Cancelled</dd>", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_without_a_Linux_account_is_told_so_and_cannot_launch()
    {
        string name = TestNames.Unique("unbound");
        await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage _ = await client.LoginAsync(name, TestNames.Password);

        string page = await client.PageAsync("/jobs/new");

        Assert.Contains("not bound to a Linux account", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<form", page.Split("<main")[1], StringComparison.Ordinal);
    }

    private async Task<PortalClient> SignInAsync(string linuxUser)
    {
        string name = TestNames.Unique(linuxUser.Replace("ptest-page-", "", StringComparison.Ordinal));
        await portal.CreateUserAsync(name, TestNames.Password, linuxUser: linuxUser);
        PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage login = await client.LoginAsync(name, TestNames.Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return client;
    }

    private static Task<HttpResponseMessage> LaunchAsync(PortalClient client, string name, string image, int gpus, string environment = "") =>
        client.PostFormAsync("/jobs/new", "launch",
        [
            new("Form.Name", name),
            new("Form.Image", image),
            new("Form.Command", "echo\nhi"),
            new("Form.Gpus", gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("Form.Cpus", "1"),
            new("Form.MemoryMiB", "256"),
            new("Form.Walltime", "5"),
            new("Form.Environment", environment),
            new("Form.WorkingDirectory", ""),
            new("Form.Mounts", ""),
        ]);
}

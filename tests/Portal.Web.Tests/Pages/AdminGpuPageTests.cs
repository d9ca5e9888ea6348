using System.Net;
using Microsoft.EntityFrameworkCore;
using Portal.Data.Entities;
using Portal.Data.Entities.Jobs;
using Portal.Data.Jobs;
using Portal.Web.Services.Audit;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Pages;

public sealed class AdminGpuPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Admin_drains_after_confirming_and_undrains_and_both_are_audited()
    {
        string uuid = await portal.AddGpuAsync();
        using PortalSession admin = await portal.SignInNewAsync("gpu-admin", admin: true);
        string confirm = WebUtility.HtmlDecode(await admin.Client.PageAsync($"/admin/gpus?confirm={uuid}"));
        Assert.Contains("Yes, drain this GPU", confirm, StringComparison.Ordinal);

        using HttpResponseMessage unconfirmed = await admin.Client.PostFormAsync("/admin/gpus", "gpu-drain",
            [new("Uuid", uuid), new("Drain", "true"), new("Reason", "fan")]);
        Assert.Contains("Tick the box to confirm.", await unconfirmed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False((await GpuAsync(uuid)).Drained);

        using HttpResponseMessage drained = await admin.Client.PostFormAsync("/admin/gpus", "gpu-drain",
            [new("Uuid", uuid), new("Drain", "true"), new("Reason", "fan replacement"), new("Confirm", "true")]);
        string page = WebUtility.HtmlDecode(await drained.Content.ReadAsStringAsync());
        Assert.Contains($"GPU {uuid} is drained", page, StringComparison.Ordinal);
        GpuRecord gpu = await GpuAsync(uuid);
        Assert.True(gpu.Drained);
        Assert.Equal(admin.User.UserName, gpu.DrainedBy);
        Assert.Equal("fan replacement", gpu.DrainReason);
        Assert.Equal("fan replacement", (await AuditAsync(AuditActions.GpuDrained, uuid)).Detail);

        using HttpResponseMessage undrained = await admin.Client.PostFormAsync("/admin/gpus", "gpu-drain",
            [new("Uuid", uuid), new("Drain", "false"), new("Confirm", "true")]);
        Assert.Contains("is back in service", await undrained.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False((await GpuAsync(uuid)).Drained);
        Assert.True((await AuditAsync(AuditActions.GpuUndrained, uuid)).Succeeded);
    }

    [Fact]
    public async Task A_GPU_kept_out_because_the_launcher_policy_does_not_name_it_offers_no_undrain_and_a_posted_one_is_refused()
    {
        string uuid = await portal.AddGpuAsync();
        await portal.WithDbAsync(async db =>
        {
            var gpu = await db.Gpus.SingleAsync(g => g.Uuid == uuid);
            (gpu.Drained, gpu.DrainedBy, gpu.DrainedAt, gpu.DrainReason) = (true, GpuStore.LauncherPolicyDrainer, DateTimeOffset.UtcNow, "not in the policy");
            return await db.SaveChangesAsync();
        });
        using PortalSession admin = await portal.SignInNewAsync("gpu-admin", admin: true);

        string page = WebUtility.HtmlDecode(await admin.Client.PageAsync("/admin/gpus"));
        using HttpResponseMessage undrain = await admin.Client.PostFormAsync("/admin/gpus", "gpu-drain",
            [new("Uuid", uuid), new("Drain", "false"), new("Confirm", "true")]);

        Assert.Contains("returns when the launcher policy names it", Row(page, uuid), StringComparison.Ordinal);
        Assert.DoesNotContain("Undrain", Row(page, uuid), StringComparison.Ordinal);
        Assert.Contains("is not named by the launcher policy", WebUtility.HtmlDecode(await undrain.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.True((await GpuAsync(uuid)).Drained);
        Assert.False((await AuditAsync(AuditActions.GpuUndrained, uuid)).Succeeded);
    }

    [Fact]
    public async Task Draining_an_unknown_gpu_is_refused_and_audited_as_failed()
    {
        using PortalSession admin = await portal.SignInNewAsync("gpu-admin", admin: true);

        using HttpResponseMessage response = await admin.Client.PostFormAsync("/admin/gpus", "gpu-drain",
            [new("Uuid", "GPU-nope"), new("Drain", "true"), new("Confirm", "true")]);

        Assert.Contains("There is no GPU GPU-nope.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False((await AuditAsync(AuditActions.GpuDrained, "GPU-nope")).Succeeded);
    }

    [Fact]
    public async Task Plain_user_cannot_drain_even_with_a_valid_token()
    {
        string uuid = await portal.AddGpuAsync();
        using PortalSession user = await portal.SignInNewAsync("gpu-user");

        using HttpResponseMessage response = await user.Client.PostFormAsync("/admin/gpus", "gpu-drain",
            [new("Uuid", uuid), new("Drain", "true"), new("Confirm", "true")], tokenFrom: "/");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False((await GpuAsync(uuid)).Drained);
    }

    [Fact]
    public async Task Page_names_the_user_and_job_holding_each_gpu_from_the_ledger()
    {
        string held = await portal.AddGpuAsync(index: 0);
        string free = await portal.AddGpuAsync(index: 1);
        PortalUser owner = await portal.CreateUserAsync(TestNames.Unique("holder"), TestNames.Password, linuxUser: "ptest-gpu-holder");
        long job = await portal.RunningJobAsync(owner.Id, held, name: "big-train");
        using PortalSession admin = await portal.SignInNewAsync("gpu-admin", admin: true);

        string page = WebUtility.HtmlDecode(await admin.Client.PageAsync("/admin/gpus"));

        string heldRow = Row(page, held);
        Assert.Contains($"{owner.UserName} (<code>ptest-gpu-holder</code>)", heldRow, StringComparison.Ordinal);
        Assert.Contains($"href=\"/jobs/{job}\">job {job}</a> big-train", heldRow, StringComparison.Ordinal);
        Assert.Contains("free", Row(page, free), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_lists_a_split_gpus_mig_instances_with_their_holders()
    {
        var (gpu, instances) = await portal.AddMigGpuAsync(5, "3g.40gb", "4g.40gb");
        PortalUser owner = await portal.CreateUserAsync(TestNames.Unique("mig-holder"), TestNames.Password, linuxUser: "ptest-gpu-migholder");
        long job = await portal.RunningJobAsync(owner.Id, instances[1], name: "mig-train");
        using PortalSession admin = await portal.SignInNewAsync("gpu-admin", admin: true);

        string page = WebUtility.HtmlDecode(await admin.Client.PageAsync("/admin/gpus"));

        Assert.Contains("split into MIG instances", Row(page, gpu), StringComparison.Ordinal);
        Assert.Contains("given out as its instances", Row(page, gpu), StringComparison.Ordinal);
        string free = Row(page, instances[0]);
        Assert.Contains("NVIDIA H100 80GB HBM3 MIG 3g.40gb", free, StringComparison.Ordinal);
        Assert.Contains($"MIG instance of <code>{gpu}</code>", free, StringComparison.Ordinal);
        Assert.Contains("free", free, StringComparison.Ordinal);
        string held = Row(page, instances[1]);
        Assert.Contains($"href=\"/jobs/{job}\">job {job}</a> mig-train", held, StringComparison.Ordinal);
        Assert.True(page.IndexOf(gpu, StringComparison.Ordinal) < page.IndexOf(instances[0], StringComparison.Ordinal));
    }

    private static string Row(string page, string uuid)
    {
        int start = page.IndexOf($"data-gpu-uuid=\"{uuid}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no row for {uuid}");
        return page[start..page.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }

    private Task<GpuRecord> GpuAsync(string uuid) =>
        portal.WithDbAsync(db => db.Gpus.AsNoTracking().SingleAsync(g => g.Uuid == uuid));

    private Task<AuditEvent> AuditAsync(string action, string target) =>
        portal.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.Action == action && e.Target == target)
            .OrderByDescending(e => e.Id).FirstAsync());
}

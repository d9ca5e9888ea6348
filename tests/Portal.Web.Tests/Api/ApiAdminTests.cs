using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api.Contracts;
using Portal.Core.Gpus;
using Portal.Data.Jobs;
using Portal.Web.Services.Audit;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Api;

public sealed class ApiAdminTests(ApiPortalFactory portal) : IClassFixture<ApiPortalFactory>
{
    [Fact]
    public async Task Admin_lists_users_with_their_role_and_Linux_account()
    {
        var accounts = await portal.AccountsAsync();
        using var admin = await AdminAsync();

        var users = await admin.GetFromJsonAsync<List<UserResponse>>("/api/v1/admin/users");

        var alice = users!.Single(u => u.Id == accounts.Alice.Id);
        Assert.Equal("ptest-api-alice", alice.LinuxUser);
        Assert.False(alice.IsAdmin);
        Assert.True(users!.Single(u => u.Id == accounts.Admin.Id).IsAdmin);
    }

    [Fact]
    public async Task Admin_sees_everyones_jobs_and_can_filter_by_owner_while_users_see_only_their_own()
    {
        var accounts = await portal.AccountsAsync();
        using var alice = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        using var bob = portal.ApiClient(await portal.TokenAsync(accounts.Bob, TestScopes.ReadWrite));
        var aliceJob = await SubmitAsync(alice, "admin-view-a");
        var bobJob = await SubmitAsync(bob, "admin-view-b");
        using var admin = await AdminAsync();

        var all = await admin.GetFromJsonAsync<JobListResponse>("/api/v1/admin/jobs?take=500");
        var onlyBob = await admin.GetFromJsonAsync<JobListResponse>($"/api/v1/admin/jobs?owner={accounts.Bob.Id}&take=500");
        var bobsOwn = await bob.GetFromJsonAsync<JobListResponse>("/api/v1/jobs?take=500");

        Assert.Contains(all!.Items, j => j.Id == aliceJob);
        Assert.Contains(all.Items, j => j.Id == bobJob);
        Assert.All(onlyBob!.Items, j => Assert.Equal("ptest-api-bob", j.Owner));
        Assert.Contains(onlyBob.Items, j => j.Id == bobJob);
        Assert.DoesNotContain(bobsOwn!.Items, j => j.Id == aliceJob);
    }

    [Fact]
    public async Task Admin_sets_and_removes_a_user_quota_override_and_it_is_audited()
    {
        var accounts = await portal.AccountsAsync();
        using var admin = await AdminAsync();

        using var set = await admin.PutAsJsonAsync($"/api/v1/admin/users/{accounts.Bob.Id}/quota", new QuotaPolicyRequest { MaxConcurrentGpus = 3, MaxWalltimeHours = 2 });
        var quota = await set.Content.ReadFromJsonAsync<UserQuotaResponse>();
        using var bob = portal.ApiClient(await portal.TokenAsync(accounts.Bob, ApiScopes.JobsRead));
        var bobsView = await bob.GetFromJsonAsync<QuotaUsageResponse>("/api/v1/quota");
        using var removed = await admin.DeleteAsync($"/api/v1/admin/users/{accounts.Bob.Id}/quota");
        var after = await removed.Content.ReadFromJsonAsync<UserQuotaResponse>();

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(3, quota!.Override!.MaxConcurrentGpus);
        Assert.Equal(3, quota.Effective.MaxConcurrentGpus);
        Assert.Equal(2, quota.Effective.MaxWalltimeHours);
        Assert.Equal(3, bobsView!.Limits.MaxConcurrentGpus);
        Assert.Null(after!.Override);
        var audited = await portal.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.Target == accounts.Bob.Id.ToString() && e.ActorId == accounts.Admin.Id).Select(e => e.Action).ToListAsync());
        Assert.Contains(AuditActions.QuotaOverrideSet, audited);
        Assert.Contains(AuditActions.QuotaOverrideRemoved, audited);
        var overview = await admin.GetFromJsonAsync<QuotaOverviewResponse>("/api/v1/admin/quotas");
        Assert.NotNull(overview!.Default.MaxConcurrentGpus);
    }

    [Fact]
    public async Task Invalid_quota_values_are_400_per_field_and_an_unknown_user_is_404()
    {
        using var admin = await AdminAsync();
        var accounts = await portal.AccountsAsync();

        using var invalid = await admin.PutAsJsonAsync($"/api/v1/admin/users/{accounts.Bob.Id}/quota",
            new QuotaPolicyRequest { MaxConcurrentGpus = -1, WindowHours = 0, MaxCpusPerJob = -2, MaxMemoryMiBPerJob = 0 });
        using var unknown = await admin.PutAsJsonAsync($"/api/v1/admin/users/{Guid.NewGuid()}/quota", new QuotaPolicyRequest { MaxConcurrentGpus = 1 });

        var problem = await ProblemAssert.IsProblemAsync(invalid, HttpStatusCode.BadRequest);
        foreach (var field in new[] { "maxConcurrentGpus", "windowHours", "maxCpusPerJob", "maxMemoryMiBPerJob" })
        {
            Assert.NotEmpty(ProblemAssert.Errors(problem, field));
        }

        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Admin_drains_and_undrains_a_GPU()
    {
        var gpu = $"GPU-{Guid.NewGuid()}";
        var store = portal.Services.GetRequiredService<GpuStore>();
        await store.UpsertGpusAsync([new GpuDevice(7, gpu, "Test GPU", 1024, null, "/dev/nvidia7", [])]);
        using var admin = await AdminAsync();
        var accounts = await portal.AccountsAsync();
        using var alice = portal.ApiClient(await portal.TokenAsync(accounts.Alice, ApiScopes.JobsRead));

        using var drained = await admin.PostAsJsonAsync($"/api/v1/admin/gpus/{gpu}/drain", new DrainGpuRequest("fan noise"));
        var seen = await alice.GetFromJsonAsync<GpuListResponse>("/api/v1/gpus");
        using var undrained = await admin.PostAsync($"/api/v1/admin/gpus/{gpu}/undrain", null);
        using var unknown = await admin.PostAsync("/api/v1/admin/gpus/GPU-none/drain", null);

        Assert.Equal(HttpStatusCode.NoContent, drained.StatusCode);
        var listed = seen!.Gpus.Single(g => g.Uuid == gpu);
        Assert.True(listed.Drained);
        Assert.Equal("fan noise", listed.DrainReason);
        Assert.Equal(HttpStatusCode.NoContent, undrained.StatusCode);
        Assert.False((await store.ListGpusAsync()).Single(g => g.Uuid == gpu).Drained);
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_user_token_cannot_reach_any_admin_endpoint()
    {
        var accounts = await portal.AccountsAsync();
        using var alice = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));

        foreach (var (method, path) in new[]
        {
            ("GET", "/api/v1/admin/users"), ("GET", "/api/v1/admin/jobs"), ("GET", "/api/v1/admin/quotas"),
            ("GET", $"/api/v1/admin/users/{accounts.Bob.Id}/quota"), ("PUT", $"/api/v1/admin/users/{accounts.Alice.Id}/quota"),
            ("DELETE", $"/api/v1/admin/users/{accounts.Alice.Id}/quota"), ("POST", "/api/v1/admin/gpus/GPU-x/drain"),
            ("POST", "/api/v1/admin/gpus/GPU-x/undrain"), ("POST", $"/api/v1/admin/users/{accounts.Bob.Id}/disable"),
            ("POST", $"/api/v1/admin/users/{accounts.Bob.Id}/enable"),
        })
        {
            using var response = await alice.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        }
    }

    [Fact]
    public async Task Admin_disables_a_user_whose_token_then_fails_at_once_and_stays_revoked_when_they_are_enabled_again()
    {
        var user = await portal.CreateUserAsync(TestNames.Unique("api-disable"), TestNames.Password);
        using var client = portal.ApiClient(await portal.TokenAsync(user, ApiScopes.JobsRead));
        using var admin = await AdminAsync();
        using (var before = await client.GetAsync("/api/v1/jobs"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using var disabled = await admin.PostAsync($"/api/v1/admin/users/{user.Id}/disable", null);
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.True((await disabled.Content.ReadFromJsonAsync<UserResponse>())!.IsDisabled);
        using (var refused = await client.GetAsync("/api/v1/jobs"))
        {
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized);
        }

        using var enabled = await admin.PostAsync($"/api/v1/admin/users/{user.Id}/enable", null);
        Assert.False((await enabled.Content.ReadFromJsonAsync<UserResponse>())!.IsDisabled);
        // Disabling revoked the token for good; the enabled user needs a new one.
        using (var again = await client.GetAsync("/api/v1/jobs"))
        {
            await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Unauthorized);
        }

        using var fresh = portal.ApiClient(await portal.TokenAsync(user, ApiScopes.JobsRead));
        using (var withNewToken = await fresh.GetAsync("/api/v1/jobs"))
        {
            Assert.Equal(HttpStatusCode.OK, withNewToken.StatusCode);
        }

        var audited = await portal.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.Target == user.UserName && e.ActorId != null).Select(e => e.Action).ToListAsync());
        Assert.Contains(AuditActions.UserDisabled, audited);
        Assert.Contains(AuditActions.UserEnabled, audited);
    }

    [Fact]
    public async Task Admin_cannot_disable_themselves_and_an_unknown_user_is_404()
    {
        var accounts = await portal.AccountsAsync();
        using var admin = await AdminAsync();

        using var self = await admin.PostAsync($"/api/v1/admin/users/{accounts.Admin.Id}/disable", null);
        using var unknown = await admin.PostAsync($"/api/v1/admin/users/{Guid.NewGuid()}/disable", null);

        var problem = await ProblemAssert.IsProblemAsync(self, HttpStatusCode.Conflict);
        Assert.Contains("your own account", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound);
        using var stillWorks = await admin.GetAsync("/api/v1/admin/users");
        Assert.Equal(HttpStatusCode.OK, stillWorks.StatusCode);
    }

    [Fact]
    public async Task Admin_sets_a_groups_job_idle_policy_sees_every_bad_field_at_once_and_turns_it_off_again()
    {
        using var admin = await AdminAsync();
        var quotas = portal.Services.GetRequiredService<Portal.Data.Quotas.QuotaStore>();
        var group = (await quotas.CreateGroupAsync("api-idle-" + Guid.NewGuid().ToString("N")[..8], new Portal.Core.Quotas.QuotaPolicy()))!.Value;
        var url = $"/api/v1/admin/quota-groups/{group}/job-idle";

        using var set = await admin.PutAsJsonAsync(url, new JobIdlePolicyBody(5, 3600, 1800, "StopAndRequeue", 8 * 3600));
        var read = await admin.GetFromJsonAsync<JobIdlePolicyBody>(url);
        using var invalid = await admin.PutAsJsonAsync(url, new JobIdlePolicyBody(0, 90, null, "Requeue", 3600));
        var unchanged = await admin.GetFromJsonAsync<JobIdlePolicyBody>(url);
        using var off = await admin.PutAsJsonAsync(url, new JobIdlePolicyBody(null, null, null, null, null));
        using var unknown = await admin.GetAsync("/api/v1/admin/quota-groups/999999999/job-idle");

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(new JobIdlePolicyBody(5, 3600, 1800, "StopAndRequeue", 8 * 3600), read);
        var problem = await ProblemAssert.IsProblemAsync(invalid, HttpStatusCode.BadRequest);
        Assert.NotEmpty(ProblemAssert.Errors(problem, "graceSeconds"));
        Assert.NotEmpty(ProblemAssert.Errors(problem, "action"));
        Assert.Equal(read, unchanged);
        Assert.Equal(new JobIdlePolicyBody(null, null, null, null, null), await off.Content.ReadFromJsonAsync<JobIdlePolicyBody>());
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound);
        var audited = await portal.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.Target == $"group {group}" && e.Action == AuditActions.QuotaGroupJobIdleChanged).Select(e => e.Succeeded).ToListAsync());
        Assert.Equal([true, false, true], audited);
    }

    private async Task<HttpClient> AdminAsync()
    {
        var accounts = await portal.AccountsAsync();
        return portal.ApiClient(await portal.TokenAsync(accounts.Admin, ApiScopes.Admin, ApiScopes.JobsRead, ApiScopes.JobsWrite));
    }

    private static async Task<long> SubmitAsync(HttpClient client, string name)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/jobs", new SubmitJobRequest { Name = name, Image = "localhost/busybox:latest" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SubmitJobResponse>())!.Id;
    }
}

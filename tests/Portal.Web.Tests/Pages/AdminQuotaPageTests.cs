using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Quotas;
using Portal.Data.Entities;
using Portal.Data.Quotas;
using Portal.Web.Services.Audit;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Pages;

/// <summary>The quota pages against a portal of their own: the default quota is one row, and these tests change it.</summary>
public sealed partial class AdminQuotaPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private QuotaStore Quotas => portal.Services.GetRequiredService<QuotaStore>();

    [Fact]
    public async Task Admin_sets_the_default_quota_and_it_is_stored_and_audited()
    {
        using PortalSession admin = await portal.SignInNewAsync("quota-admin", admin: true);

        using HttpResponseMessage response = await admin.Client.PostFormAsync("/admin/quotas", "quota-default",
            Fields("Default", gpus: "3", jobs: "5", queued: "30", gpuHours: "150.5", windowDays: "14", walltimeHours: "48", cpus: "12", memory: "32768"));

        Assert.Contains("The default quota is saved.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        QuotaPolicy stored = await Quotas.GetDefaultAsync();
        Assert.Equal(new QuotaPolicy
        {
            MaxConcurrentGpus = 3, MaxConcurrentJobs = 5, MaxQueuedJobs = 30, GpuHoursPerWindow = 150.5, Window = TimeSpan.FromDays(14),
            MaxWalltime = TimeSpan.FromHours(48), MaxCpusPerJob = 12, MaxMemoryMiBPerJob = 32768,
        }, stored);
        AuditEvent audit = await LastAuditAsync(AuditActions.QuotaDefaultChanged);
        Assert.True(audit.Succeeded);
        Assert.Equal(admin.User.UserName, audit.ActorName);
        Assert.Equal("gpus=3 jobs=5 queued=30 gpu-hours=150.5 window-days=14 walltime-hours=48 cpus=12 memory-mib=32768", audit.Detail);
        // The page shows what is stored now.
        Assert.Contains("name=\"Default.GpuHoursPerWindow\" value=\"150.5\"", await admin.Client.PageAsync("/admin/quotas"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_default_values_get_field_errors_and_nothing_changes()
    {
        using PortalSession admin = await portal.SignInNewAsync("quota-admin", admin: true);
        QuotaPolicy before = await Quotas.GetDefaultAsync();

        using HttpResponseMessage response = await admin.Client.PostFormAsync("/admin/quotas", "quota-default",
            Fields("Default", gpus: "-1", jobs: "two", queued: "", gpuHours: "5", windowDays: "0", walltimeHours: "24", cpus: "1e3", memory: "1.5"));

        string page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("Concurrent GPUs must be a whole number from 0 to 100000.", page, StringComparison.Ordinal);
        Assert.Contains("Concurrent jobs must be a whole number from 0 to 100000.", page, StringComparison.Ordinal);
        Assert.Contains("Queued jobs is required in the default policy.", page, StringComparison.Ordinal);
        Assert.Contains("The window must be a number above 0 up to 366.", page, StringComparison.Ordinal);
        Assert.Contains("Max CPUs per job must be a number above 0 up to 4096.", page, StringComparison.Ordinal);
        Assert.Contains("Max memory per job must be a whole number above 0 up to 67108864.", page, StringComparison.Ordinal);
        // The typed values stay in the form, next to their errors.
        Assert.Contains("name=\"Default.MaxConcurrentJobs\" value=\"two\"", page, StringComparison.Ordinal);
        Assert.Equal(before, await Quotas.GetDefaultAsync());
        Assert.False((await LastAuditAsync(AuditActions.QuotaDefaultChanged)).Succeeded);
    }

    [Fact]
    public async Task Admin_creates_a_group_adds_and_removes_a_member_and_deletes_it()
    {
        using PortalSession admin = await portal.SignInNewAsync("quota-admin", admin: true);
        PortalUser member = await portal.CreateUserAsync(TestNames.Unique("member"), TestNames.Password);
        string name = TestNames.Unique("thesis");

        using HttpResponseMessage created = await admin.Client.PostFormAsync("/admin/quotas", "quota-group-create",
            [new("NewGroupName", name), .. Fields("NewGroup", gpus: "4", gpuHours: "500")]);
        Assert.Contains($"Group {name} is created.", await created.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        QuotaGroup group = (await Quotas.ListGroupsAsync()).Single(g => g.Name == name);
        Assert.Equal(new QuotaPolicy { MaxConcurrentGpus = 4, GpuHoursPerWindow = 500 }, group.Policy);
        string path = $"/admin/quotas/groups/{group.Id}";

        using HttpResponseMessage added = await admin.Client.PostFormAsync(path, "quota-member-add", [new("MemberToAdd", member.Id.ToString())]);
        Assert.Contains($"{member.UserName} is in the group.", await added.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(4, (await Quotas.ResolveAsync(member.Id)).MaxConcurrentGpus);

        using HttpResponseMessage edited = await admin.Client.PostFormAsync(path, "quota-group", Fields("Policy", gpus: "6"));
        Assert.Contains("The group's quota is saved.", WebUtility.HtmlDecode(await edited.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Equal(6, (await Quotas.ResolveAsync(member.Id)).MaxConcurrentGpus);

        using HttpResponseMessage removed = await admin.Client.PostFormAsync(path, "quota-member-remove", [new("MemberToRemove", member.Id.ToString())]);
        Assert.Contains($"{member.UserName} is no longer in the group.", await removed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty((await Quotas.ListGroupsAsync()).Single(g => g.Id == group.Id).MemberIds);

        using HttpResponseMessage unconfirmed = await admin.Client.PostFormAsync(path, "quota-group-delete", []);
        Assert.Contains("Tick the box to confirm.", await unconfirmed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using HttpResponseMessage deleted = await admin.Client.PostFormAsync(path, "quota-group-delete", [new("ConfirmDelete", "true")]);
        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.DoesNotContain(await Quotas.ListGroupsAsync(), g => g.Id == group.Id);
        using HttpResponseMessage gone = await admin.Client.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        string[] actions = [AuditActions.QuotaGroupCreated, AuditActions.QuotaMemberAdded, AuditActions.QuotaGroupChanged,
            AuditActions.QuotaMemberRemoved, AuditActions.QuotaGroupDeleted];
        foreach (string action in actions)
        {
            Assert.True((await LastAuditAsync(action)).Succeeded, action);
        }
    }

    [Fact]
    public async Task A_group_name_must_be_new_and_readable()
    {
        using PortalSession admin = await portal.SignInNewAsync("quota-admin", admin: true);
        string name = TestNames.Unique("dup");
        using HttpResponseMessage first = await admin.Client.PostFormAsync("/admin/quotas", "quota-group-create", [new("NewGroupName", name), .. Fields("NewGroup")]);

        using HttpResponseMessage again = await admin.Client.PostFormAsync("/admin/quotas", "quota-group-create", [new("NewGroupName", name), .. Fields("NewGroup")]);
        using HttpResponseMessage bad = await admin.Client.PostFormAsync("/admin/quotas", "quota-group-create", [new("NewGroupName", "<script>"), .. Fields("NewGroup")]);

        Assert.Contains($"A group named {name} exists already.", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("Use 1 to 64 letters, digits, spaces, &#x27;.&#x27;, &#x27;_&#x27; or &#x27;-&#x27;.", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(await Quotas.ListGroupsAsync(), g => g.Name == name);
    }

    [Fact]
    public async Task Admin_sets_and_removes_a_users_override()
    {
        using PortalSession admin = await portal.SignInNewAsync("quota-admin", admin: true);
        PortalUser user = await portal.CreateUserAsync(TestNames.Unique("limited"), TestNames.Password);
        string path = $"/admin/quotas/user?id={user.Id}";

        using HttpResponseMessage set = await admin.Client.PostFormAsync(path, "quota-override", Fields("Override", gpus: "0", walltimeHours: "0.5"));

        Assert.Contains("The user&#x27;s override is saved.", await set.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(new QuotaPolicy { MaxConcurrentGpus = 0, MaxWalltime = TimeSpan.FromMinutes(30) }, await Quotas.GetUserOverrideAsync(user.Id));
        Assert.Equal(0, (await Quotas.ResolveAsync(user.Id)).MaxConcurrentGpus);
        Assert.Equal("gpus=0 walltime-hours=0.5", (await LastAuditAsync(AuditActions.QuotaOverrideSet)).Detail);

        using HttpResponseMessage removed = await admin.Client.PostFormAsync(path, "quota-override-remove", [new("ConfirmRemove", "true")]);
        Assert.Contains("The override is removed", await removed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await Quotas.GetUserOverrideAsync(user.Id));
        Assert.True((await LastAuditAsync(AuditActions.QuotaOverrideRemoved)).Succeeded);
    }

    [Fact]
    public async Task Unknown_user_or_group_is_not_found()
    {
        using PortalSession admin = await portal.SignInNewAsync("quota-admin", admin: true);

        using HttpResponseMessage user = await admin.Client.Http.GetAsync($"/admin/quotas/user?id={Guid.NewGuid()}");
        using HttpResponseMessage garbage = await admin.Client.Http.GetAsync("/admin/quotas/user?id=nonsense");
        using HttpResponseMessage group = await admin.Client.Http.GetAsync("/admin/quotas/groups/987654");

        Assert.Equal(HttpStatusCode.NotFound, user.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, garbage.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, group.StatusCode);
    }

    [Theory]
    [InlineData("/admin/quotas", "quota-default")]
    [InlineData("/admin/quotas", "quota-group-create")]
    [InlineData("/admin/quotas/user", "quota-override")]
    public async Task Plain_user_posting_a_quota_form_is_forbidden_and_nothing_changes(string path, string form)
    {
        using PortalSession user = await portal.SignInNewAsync("quota-user");
        QuotaPolicy before = await Quotas.GetDefaultAsync();
        int groups = (await Quotas.ListGroupsAsync()).Count;

        using HttpResponseMessage response = await user.Client.PostFormAsync($"{path}?id={user.User.Id}", form,
            [new("NewGroupName", "sneaky"), .. Fields("Default", gpus: "99"), .. Fields("NewGroup", gpus: "99"), .. Fields("Override", gpus: "99")],
            tokenFrom: "/");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, await Quotas.GetDefaultAsync());
        Assert.Equal(groups, (await Quotas.ListGroupsAsync()).Count);
        Assert.Null(await Quotas.GetUserOverrideAsync(user.User.Id));
    }

    [Fact]
    public async Task Users_see_their_quota_bars_on_the_dashboard()
    {
        using PortalSession user = await portal.SignInNewAsync("quota-viewer", linuxUser: "ptest-quota-viewer");
        await Quotas.SetUserOverrideAsync(user.User.Id, new QuotaPolicy { MaxConcurrentGpus = 3, MaxQueuedJobs = 7 });

        string page = WebUtility.HtmlDecode(await user.Client.PageAsync("/"));

        Assert.Matches(BarValue("gpus", "0 of 3"), page);
        Assert.Matches(BarValue("queued", "0 of 7"), page);
    }

    private static Regex BarValue(string key, string text) =>
        new($"quota-{key}[ \"].*?<span class=\"quota-value\">{Regex.Escape(text)}</span>", RegexOptions.Singleline);

    private static List<KeyValuePair<string, string>> Fields(
        string prefix, string gpus = "", string jobs = "", string queued = "", string gpuHours = "", string windowDays = "",
        string walltimeHours = "", string cpus = "", string memory = "") =>
    [
        new($"{prefix}.MaxConcurrentGpus", gpus), new($"{prefix}.MaxConcurrentJobs", jobs), new($"{prefix}.MaxQueuedJobs", queued),
        new($"{prefix}.GpuHoursPerWindow", gpuHours), new($"{prefix}.WindowDays", windowDays), new($"{prefix}.MaxWalltimeHours", walltimeHours),
        new($"{prefix}.MaxCpusPerJob", cpus), new($"{prefix}.MaxMemoryMiBPerJob", memory),
    ];

    [Fact]
    public async Task Admin_sets_a_groups_idle_reclaim_and_it_applies_to_its_members_and_is_audited()
    {
        using PortalSession admin = await portal.SignInNewAsync("quota-admin", admin: true);
        int group = (await Quotas.CreateGroupAsync("idle-" + Guid.NewGuid().ToString("N")[..8], new QuotaPolicy()))!.Value;
        Portal.Data.Entities.PortalUser member = await portal.CreateUserAsync("idle-member-" + Guid.NewGuid().ToString("N")[..8], "unused-Passw0rd!");
        Assert.True(await Quotas.AddMemberAsync(group, member.Id));
        string path = $"/admin/quotas/groups/{group}";

        using HttpResponseMessage saved = await admin.Client.PostFormAsync(path, "quota-group-idle",
            [new("Idle.WindowMinutes", "90"), new("Idle.GraceMinutes", "10"), new("Idle.GpuThresholdPercent", "2.5"), new("Idle.KeepLimitHours", "")]);

        Assert.Contains("The group's idle reclaim is saved.", WebUtility.HtmlDecode(await saved.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Equal(new Portal.Core.Sessions.SessionIdleSettings(TimeSpan.FromMinutes(90), TimeSpan.FromMinutes(10), 2.5, null), await Quotas.GetGroupIdleAsync(group));
        Assert.Equal(new Portal.Core.Sessions.SessionIdlePolicy(TimeSpan.FromMinutes(90), TimeSpan.FromMinutes(10), 2.5, Portal.Core.Sessions.SessionIdlePolicy.DefaultKeepLimit),
            (await Quotas.ResolveIdleAsync([member.Id]))[member.Id]);
        AuditEvent audit = await LastAuditAsync(AuditActions.QuotaGroupIdleChanged);
        Assert.True(audit.Succeeded);
        Assert.StartsWith("idle window 01:30:00", audit.Detail, StringComparison.Ordinal);
        Assert.Contains("name=\"Idle.WindowMinutes\" value=\"90\"", await admin.Client.PageAsync(path), StringComparison.Ordinal);

        // Bad values are named field by field and change nothing; an empty window turns reclaim off again.
        using HttpResponseMessage bad = await admin.Client.PostFormAsync(path, "quota-group-idle",
            [new("Idle.WindowMinutes", "0"), new("Idle.GraceMinutes", "-5"), new("Idle.GpuThresholdPercent", "101"), new("Idle.KeepLimitHours", "x")]);
        string page = WebUtility.HtmlDecode(await bad.Content.ReadAsStringAsync());
        Assert.Contains("The idle window (minutes) must be a number above 0", page, StringComparison.Ordinal);
        Assert.Contains("The GPU threshold (%) must be a number from 0 up to 100", page, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMinutes(90), (await Quotas.GetGroupIdleAsync(group))!.Window);
        Assert.False((await LastAuditAsync(AuditActions.QuotaGroupIdleChanged)).Succeeded);

        using HttpResponseMessage off = await admin.Client.PostFormAsync(path, "quota-group-idle",
            [new("Idle.WindowMinutes", ""), new("Idle.GraceMinutes", ""), new("Idle.GpuThresholdPercent", ""), new("Idle.KeepLimitHours", "")]);
        Assert.Contains("Idle sessions of this group are not reclaimed.", await off.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null((await Quotas.ResolveIdleAsync([member.Id]))[member.Id]);
    }

    private Task<AuditEvent> LastAuditAsync(string action) =>
        portal.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.Action == action).OrderByDescending(e => e.Id).FirstAsync());
}

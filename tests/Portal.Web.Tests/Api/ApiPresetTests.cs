using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Api.Contracts;
using Portal.Web.Services.Audit;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Api;

/// <summary>/api/v1/presets and /api/v1/admin/presets: one's own presets, the box-wide ones, and nothing of anyone else's.</summary>
public sealed class ApiPresetTests(ApiPortalFactory portal) : IClassFixture<ApiPortalFactory>
{
    private static readonly PresetValues Values = new()
    {
        JobName = "train",
        Image = "localhost/pytorch:2.5",
        Command = ["python", "train.py", "--epochs=3"],
        Environment = new Dictionary<string, string> { ["SEED"] = "7" },
        Mounts = [new MountRequest("/srv/data", "/data", ReadOnly: true)],
        Gpus = 1,
        Cpus = 4,
        MemoryMiB = 8192,
        WalltimeMinutes = 120,
    };

    [Fact]
    public async Task A_user_puts_gets_lists_and_deletes_their_own_preset()
    {
        var accounts = await portal.AccountsAsync();
        using var alice = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        string name = TestNames.Unique("mine");

        using var created = await alice.PutAsJsonAsync(Path(name), Values);
        using var replaced = await alice.PutAsJsonAsync(Path(name), Values with { Gpus = 2 });
        var got = await alice.GetFromJsonAsync<PresetResponse>(Path(name));
        var listed = await alice.GetFromJsonAsync<PresetListResponse>("/api/v1/presets");
        using var deleted = await alice.DeleteAsync(Path(name));
        using var gone = await alice.GetAsync(Path(name));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/v1/presets/{name}", created.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.False(got!.BoxWide);
        Assert.Equal(2, got.Values.Gpus);
        Assert.Equal(["python", "train.py", "--epochs=3"], got.Values.Command);
        Assert.Equal("7", got.Values.Environment!["SEED"]);
        Assert.Equal(new MountRequest("/srv/data", "/data", true), got.Values.Mounts!.Single());
        Assert.Contains(listed!.Items, p => p.Name == name && !p.BoxWide);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await ProblemAssert.IsProblemAsync(gone, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Another_users_private_preset_is_404_to_read_delete_and_rename_and_never_listed()
    {
        var accounts = await portal.AccountsAsync();
        using var alice = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        using var bob = portal.ApiClient(await portal.TokenAsync(accounts.Bob, TestScopes.ReadWrite));
        string name = TestNames.Unique("alices");
        using (var put = await alice.PutAsJsonAsync(Path(name), Values with { Image = "localhost/alices-secret:1" }))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using var read = await bob.GetAsync(Path(name));
        using var delete = await bob.DeleteAsync(Path(name));
        using var rename = await bob.PostAsJsonAsync(Path(name) + "/rename", new RenamePresetRequest("stolen"));
        var bobsList = await bob.GetStringAsync("/api/v1/presets");

        await ProblemAssert.IsProblemAsync(read, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(delete, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(rename, HttpStatusCode.NotFound);
        Assert.DoesNotContain("alices-secret", bobsList, StringComparison.Ordinal);
        Assert.DoesNotContain(name, bobsList, StringComparison.Ordinal);
        Assert.Equal("localhost/alices-secret:1", (await alice.GetFromJsonAsync<PresetResponse>(Path(name)))!.Values.Image);
    }

    [Fact]
    public async Task An_admin_publishes_a_box_wide_preset_every_user_reads_and_a_users_own_of_that_name_wins_for_them()
    {
        var accounts = await portal.AccountsAsync();
        using var admin = await AdminAsync();
        using var alice = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        using var bob = portal.ApiClient(await portal.TokenAsync(accounts.Bob, TestScopes.ReadWrite));
        string name = TestNames.Unique("PyTorch 1 GPU");

        using var published = await admin.PutAsJsonAsync(AdminPath(name), Values);
        using var bobsOwn = await bob.PutAsJsonAsync(Path(name), Values with { Image = "localhost/bobs:1" });
        var forAlice = await alice.GetFromJsonAsync<PresetResponse>(Path(name));
        var forBob = await bob.GetFromJsonAsync<PresetResponse>(Path(name));
        var bobsList = await bob.GetFromJsonAsync<PresetListResponse>("/api/v1/presets");
        using var bobDeletesHis = await bob.DeleteAsync(Path(name));
        var afterwards = await bob.GetFromJsonAsync<PresetResponse>(Path(name));
        using var renamed = await admin.PostAsJsonAsync(AdminPath(name) + "/rename", new RenamePresetRequest(name + " v2"));
        using var removed = await admin.DeleteAsync(AdminPath(name + " v2"));
        using var goneForAlice = await alice.GetAsync(Path(name + " v2"));

        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        Assert.Equal(HttpStatusCode.Created, bobsOwn.StatusCode);
        Assert.True(forAlice!.BoxWide);
        Assert.Equal("localhost/pytorch:2.5", forAlice.Values.Image);
        Assert.False(forBob!.BoxWide);
        Assert.Equal("localhost/bobs:1", forBob.Values.Image);
        Assert.True(bobsList!.Items.Single(p => p.Name == name && p.BoxWide).Shadowed);
        Assert.Equal(HttpStatusCode.NoContent, bobDeletesHis.StatusCode);
        Assert.True(afterwards!.BoxWide);
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        await ProblemAssert.IsProblemAsync(goneForAlice, HttpStatusCode.NotFound);
        var audited = await portal.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.ActorId == accounts.Admin.Id && (e.Target == name || e.Target == name + " v2"))
            .Select(e => e.Action).ToListAsync());
        Assert.Equal(
            [AuditActions.BoxPresetDeleted, AuditActions.BoxPresetRenamed, AuditActions.BoxPresetSaved],
            audited.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_user_cannot_write_or_delete_a_box_wide_preset_and_deleting_their_own_name_leaves_it()
    {
        var accounts = await portal.AccountsAsync();
        using var admin = await AdminAsync();
        using var alice = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        // An administrator's everyday token without the admin scope is a user's token here too.
        using var adminWithoutScope = portal.ApiClient(await portal.TokenAsync(accounts.Admin, TestScopes.ReadWrite));
        string name = TestNames.Unique("box");
        using (var published = await admin.PutAsJsonAsync(AdminPath(name), Values))
        {
            Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        }

        using var put = await alice.PutAsJsonAsync(AdminPath(name), Values with { Image = "localhost/evil:1" });
        using var delete = await alice.DeleteAsync(AdminPath(name));
        using var rename = await alice.PostAsJsonAsync(AdminPath(name) + "/rename", new RenamePresetRequest("x"));
        using var unscoped = await adminWithoutScope.PutAsJsonAsync(AdminPath(name), Values with { Image = "localhost/evil:1" });
        using var deleteOwnName = await alice.DeleteAsync(Path(name));

        await ProblemAssert.IsProblemAsync(put, HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(delete, HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(rename, HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(unscoped, HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(deleteOwnName, HttpStatusCode.NotFound);
        var stillThere = await alice.GetFromJsonAsync<PresetResponse>(Path(name));
        Assert.True(stillThere!.BoxWide);
        Assert.Equal("localhost/pytorch:2.5", stillThere.Values.Image);
    }

    [Fact]
    public async Task Writing_needs_the_write_scope_and_reading_the_read_scope()
    {
        var accounts = await portal.AccountsAsync();
        using var reader = portal.ApiClient(await portal.TokenAsync(accounts.Alice, ApiScopes.JobsRead));
        using var writer = portal.ApiClient(await portal.TokenAsync(accounts.Alice, ApiScopes.JobsWrite));

        using var put = await reader.PutAsJsonAsync(Path("scoped"), Values);
        using var list = await writer.GetAsync("/api/v1/presets");

        await ProblemAssert.IsProblemAsync(put, HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(list, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_bad_name_bad_json_and_a_taken_new_name_get_problem_details()
    {
        var accounts = await portal.AccountsAsync();
        using var alice = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        string a = TestNames.Unique("a");
        string b = TestNames.Unique("b");
        using var _1 = await alice.PutAsJsonAsync(Path(a), Values);
        using var _2 = await alice.PutAsJsonAsync(Path(b), Values);

        using var badName = await alice.PutAsJsonAsync(Path("-starts-with-dash"), Values);
        using var badJson = await alice.PutAsync(Path(a), new StringContent("{\"gpus\": \"two\"}", System.Text.Encoding.UTF8, "application/json"));
        using var taken = await alice.PostAsJsonAsync(Path(a) + "/rename", new RenamePresetRequest(b));
        using var badNewName = await alice.PostAsJsonAsync(Path(a) + "/rename", new RenamePresetRequest("a/b"));

        Assert.NotEmpty(ProblemAssert.Errors(await ProblemAssert.IsProblemAsync(badName, HttpStatusCode.BadRequest), "name"));
        Assert.NotEmpty(ProblemAssert.Errors(await ProblemAssert.IsProblemAsync(badJson, HttpStatusCode.BadRequest), "gpus"));
        await ProblemAssert.IsProblemAsync(taken, HttpStatusCode.Conflict);
        Assert.NotEmpty(ProblemAssert.Errors(await ProblemAssert.IsProblemAsync(badNewName, HttpStatusCode.BadRequest), "newName"));
    }

    private static string Path(string name) => "/api/v1/presets/" + Uri.EscapeDataString(name);

    private static string AdminPath(string name) => "/api/v1/admin/presets/" + Uri.EscapeDataString(name);

    private async Task<HttpClient> AdminAsync()
    {
        var accounts = await portal.AccountsAsync();
        return portal.ApiClient(await portal.TokenAsync(accounts.Admin, ApiScopes.Admin, ApiScopes.JobsRead, ApiScopes.JobsWrite));
    }
}

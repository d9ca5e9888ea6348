using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api.Contracts;
using Portal.Data.Entities.Jobs;
using Portal.Data.Presets;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Pages;

/// <summary>The launch form's presets: save the form's values, fill the form from one (?preset=NAME), rename and delete
/// one's own, box-wide presets for everyone, and a preset's values checked on submit as if typed.</summary>
public sealed class LaunchFormPresetTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Save_as_preset_stores_the_forms_values_and_the_preset_link_fills_every_field_from_them()
    {
        using PortalClient lena = await SignInAsync("ptest-lpre-lena");
        int jobsBefore = await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync());

        using HttpResponseMessage saved = await SaveAsync(lena, "My training", Fields(
            name: "train", image: "localhost/busybox:latest", command: "sh\n-c\necho  two  spaces", environment: "BETA=2\nALPHA=one",
            cpus: "0.5", memory: "300", walltime: "7", workdir: "/tmp"));

        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.Equal("/jobs/new?preset=My%20training", saved.RedirectPath());
        string form = WebUtility.HtmlDecode(await lena.PageAsync(saved.RedirectPath()!));
        Assert.Contains("filled from your preset", form, StringComparison.Ordinal);
        Assert.Matches("<option value=\"My training\" selected", form);
        Assert.Equal("train", InputValue(form, "name"));
        Assert.Equal("localhost/busybox:latest", InputValue(form, "image"));
        Assert.Equal("sh\n-c\necho  two  spaces", TextAreaValue(form, "command"));
        Assert.Equal("ALPHA=one\nBETA=2", TextAreaValue(form, "environment"));
        Assert.Equal("/tmp", InputValue(form, "workdir"));
        Assert.Equal("0", InputValue(form, "gpus"));
        Assert.Equal("0.5", InputValue(form, "cpus"));
        Assert.Equal("300", InputValue(form, "memory"));
        Assert.Equal("7", InputValue(form, "walltime"));
        // Saving queues nothing.
        Assert.Equal(jobsBefore, await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync()));
    }

    [Fact]
    public async Task Another_users_preset_link_fills_nothing_and_shows_nothing_of_it()
    {
        using PortalClient mia = await SignInAsync("ptest-lpre-mia");
        using PortalClient nils = await SignInAsync("ptest-lpre-nils");
        using HttpResponseMessage saved = await SaveAsync(mia, "mias", Fields(name: "mias-secret-job", image: "localhost/mias-secret:1"));
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);

        string peek = WebUtility.HtmlDecode(await nils.PageAsync("/jobs/new?preset=mias"));

        Assert.Contains("There is no preset named", peek, StringComparison.Ordinal);
        Assert.DoesNotContain("mias-secret", peek, StringComparison.Ordinal);
        Assert.Equal("", InputValue(peek, "image"));
    }

    [Fact]
    public async Task A_box_wide_preset_beyond_the_users_quota_fills_the_form_and_the_submit_shows_the_usual_errors()
    {
        using PortalClient olga = await SignInAsync("ptest-lpre-olga");
        string name = TestNames.Unique("Huge box preset");
        var store = portal.Services.GetRequiredService<JobPresetStore>();
        await store.SaveAsync(null, name, new PresetValues { Image = "localhost/busybox:latest", Cpus = 100_000, MemoryMiB = 1L << 40, Command = ["true"] });
        int jobsBefore = await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync());

        string form = WebUtility.HtmlDecode(await olga.PageAsync("/jobs/new?preset=" + Uri.EscapeDataString(name)));
        Assert.Contains("filled from the box-wide preset", form, StringComparison.Ordinal);
        Assert.Equal("100000", InputValue(form, "cpus"));
        // A box-wide preset is read-only to a user: no rename or delete.
        Assert.DoesNotContain("preset-manage", form, StringComparison.Ordinal);
        using HttpResponseMessage launched = await olga.PostFormAsync("/jobs/new?preset=" + Uri.EscapeDataString(name), "launch", Fields(
            name: "from-preset", image: InputValue(form, "image"), command: TextAreaValue(form, "command"), cpus: InputValue(form, "cpus"),
            memory: InputValue(form, "memory")));

        string page = WebUtility.HtmlDecode(await launched.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, launched.StatusCode);
        Assert.Contains("data-error-summary", page, StringComparison.Ordinal);
        Assert.Contains("cpus", InvalidInputs(page));
        Assert.Equal(jobsBefore, await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync()));
    }

    [Fact]
    public async Task A_user_renames_and_deletes_their_own_preset_from_the_form()
    {
        using PortalClient pia = await SignInAsync("ptest-lpre-pia");
        using HttpResponseMessage saved = await SaveAsync(pia, "first", Fields(name: "x", image: "localhost/busybox:latest"));
        using HttpResponseMessage _ = await SaveAsync(pia, "taken", Fields(name: "y", image: "localhost/busybox:latest"));

        using HttpResponseMessage clash = await ManageAsync(pia, "first", "rename", "taken");
        using HttpResponseMessage renamed = await ManageAsync(pia, "first", "rename", "second");
        using HttpResponseMessage deleted = await ManageAsync(pia, "second", "delete", "second");

        Assert.Equal(HttpStatusCode.OK, clash.StatusCode);
        Assert.Contains("There is already a preset named taken.", await clash.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("/jobs/new?preset=second", renamed.RedirectPath());
        Assert.Equal("/jobs/new?deleted=second", deleted.RedirectPath());
        string form = await pia.PageAsync("/jobs/new");
        Assert.DoesNotContain("value=\"second\"", form, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"first\"", form, StringComparison.Ordinal);
        Assert.Contains("<option value=\"taken\"", form, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_preset_name_is_shown_next_to_its_field_and_nothing_is_saved()
    {
        using PortalClient quinn = await SignInAsync("ptest-lpre-quinn");

        using HttpResponseMessage refused = await SaveAsync(quinn, "no/slashes", Fields(name: "x", image: "localhost/busybox:latest"));

        string page = WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("Use only letters, digits, spaces", page, StringComparison.Ordinal);
        Assert.Equal(["preset-name"], InvalidInputs(page));
        Assert.DoesNotContain("preset-picker", page, StringComparison.Ordinal);
    }

    private static List<string> InvalidInputs(string page) =>
        [.. Regex.Matches(page, "<(?:input|textarea|select)[^>]*>").Select(m => m.Value)
            .Where(tag => tag.Contains("aria-invalid=\"true\"", StringComparison.Ordinal))
            .Select(tag => Regex.Match(tag, " id=\"([^\"]+)\"").Groups[1].Value)];

    private static string InputValue(string page, string id) =>
        Regex.Match(page, $"<input[^>]* id=\"{id}\"[^>]* value=\"([^\"]*)\"").Groups[1].Value;

    private static string TextAreaValue(string page, string id) =>
        Regex.Match(page, $"<textarea[^>]* id=\"{id}\"[^>]*>(.*?)</textarea>", RegexOptions.Singleline).Groups[1].Value.ReplaceLineEndings("\n");

    private async Task<PortalClient> SignInAsync(string linuxUser)
    {
        string name = TestNames.Unique(linuxUser.Replace("ptest-lpre-", "", StringComparison.Ordinal));
        await portal.CreateUserAsync(name, TestNames.Password, linuxUser: linuxUser);
        PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage login = await client.LoginAsync(name, TestNames.Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return client;
    }

    private static List<KeyValuePair<string, string>> Fields(
        string name, string image, string environment = "", string command = "echo\nhi", string cpus = "1", string memory = "256",
        string walltime = "5", string workdir = "") =>
    [
        new("Form.Name", name),
        new("Form.Image", image),
        new("Form.Command", command),
        new("Form.Gpus", "0"),
        new("Form.Cpus", cpus),
        new("Form.MemoryMiB", memory),
        new("Form.Walltime", walltime),
        new("Form.Environment", environment),
        new("Form.WorkingDirectory", workdir),
        new("Form.Mounts", ""),
        new("Form.SubmissionKey", "form-" + Guid.NewGuid().ToString("N")),
    ];

    private static Task<HttpResponseMessage> SaveAsync(PortalClient client, string presetName, List<KeyValuePair<string, string>> fields) =>
        client.PostFormAsync("/jobs/new", "launch", [.. fields, new("Form.PresetName", presetName), new("Form.Intent", "save-preset")]);

    private static Task<HttpResponseMessage> ManageAsync(PortalClient client, string presetName, string action, string newName) =>
        client.PostFormAsync("/jobs/new?preset=" + Uri.EscapeDataString(presetName), "preset-manage",
            [new("Manage.Name", presetName), new("Manage.BoxWide", "false"), new("Manage.NewName", newName), new("Manage.Action", action)]);
}

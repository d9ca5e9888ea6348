using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Portal.Data.Entities.Jobs;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Pages;

/// <summary>The launch form's errors (all at once, summarised, tied to their fields) and "Run again".</summary>
public sealed class LaunchFormPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task A_post_with_three_bad_fields_gets_all_three_errors_a_summary_and_aria_invalid_on_exactly_those_fields()
    {
        using PortalClient gina = await SignInAsync("ptest-lform-gina");
        int before = await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync());

        // A line that cannot be read (environment) and two fields the validator refuses (name, image): one post.
        using HttpResponseMessage response = await LaunchAsync(gina, Fields(name: "", image: "-privileged", environment: "NOEQUALS"));

        string page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string summary = Summary(page);
        Assert.Contains("role=\"alert\"", summary, StringComparison.Ordinal);
        Assert.Matches("<h2[^>]*>There are [0-9]+ problems</h2>", summary);
        Assert.Contains("autofocus", summary, StringComparison.Ordinal);
        Assert.True(SummaryLinks(summary).Any(), summary);
        Assert.Equal(["environment", "image", "name"], SummaryLinks(summary).Distinct().Order(StringComparer.Ordinal));
        Assert.Contains("'NOEQUALS' is not NAME=value.", summary, StringComparison.Ordinal);
        Assert.Contains("A name is required.", summary, StringComparison.Ordinal);
        Assert.Equal(["environment", "image", "name"], InvalidInputs(page).Order(StringComparer.Ordinal));
        foreach (string id in new[] { "name", "image", "environment" })
        {
            Assert.Matches($"<(input|textarea)[^>]* id=\"{id}\"[^>]* aria-describedby=\"{id}-error\"", page);
            Assert.Contains($"<div id=\"{id}-error\" class=\"validation-message\">", page, StringComparison.Ordinal);
        }

        Assert.Equal(before, await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync()));
    }

    [Fact]
    public async Task A_fresh_form_has_no_summary_no_field_marked_invalid_and_no_GPU_on_a_box_without_one()
    {
        using PortalClient hugo = await SignInAsync("ptest-lform-hugo");

        string form = await hugo.PageAsync("/jobs/new");

        Assert.DoesNotContain("data-error-summary", form, StringComparison.Ordinal);
        Assert.Empty(InvalidInputs(form));
        // The box in these tests has no GPU: the form starts at 0, which can launch.
        Assert.Matches("id=\"gpus\"[^>]* value=\"0\"", form);
    }

    [Fact]
    public async Task Run_again_pre_fills_every_field_from_the_owners_job_with_a_new_submission_key()
    {
        using PortalClient ivy = await SignInAsync("ptest-lform-ivy");
        var fields = Fields(name: "copy-me", image: "localhost/busybox:latest", environment: "ALPHA=1\nBETA=two words",
            command: "sh\n-c\necho  two  spaces", cpus: "0.5", memory: "300", walltime: "7", workdir: "/tmp", key: "form-first-key");
        using HttpResponseMessage submitted = await LaunchAsync(ivy, fields);
        string path = submitted.RedirectPath()!;
        long id = long.Parse(path["/jobs/".Length..], CultureInfo.InvariantCulture);
        Assert.Contains($"href=\"/jobs/new?from={id}\"", await ivy.PageAsync(path), StringComparison.Ordinal);

        string form = WebUtility.HtmlDecode(await ivy.PageAsync($"/jobs/new?from={id}"));

        Assert.Equal("copy-me", InputValue(form, "name"));
        Assert.Equal("localhost/busybox:latest", InputValue(form, "image"));
        Assert.Equal("sh\n-c\necho  two  spaces", TextAreaValue(form, "command"));
        Assert.Equal("ALPHA=1\nBETA=two words", TextAreaValue(form, "environment"));
        Assert.Equal("/tmp", InputValue(form, "workdir"));
        Assert.Equal("0", InputValue(form, "gpus"));
        Assert.Equal("0.5", InputValue(form, "cpus"));
        Assert.Equal("300", InputValue(form, "memory"));
        Assert.Equal("7", InputValue(form, "walltime"));
        string key = Regex.Match(form, "name=\"Form.SubmissionKey\" value=\"([^\"]*)\"").Groups[1].Value;
        Assert.StartsWith("form-", key, StringComparison.Ordinal);
        Assert.NotEqual("form-first-key", key);

        // Launching the copy (with its own key) queues a second job, not a repeat of the first.
        using HttpResponseMessage again = await LaunchAsync(ivy, Fields(name: "copy-me", image: "localhost/busybox:latest", key: key));
        Assert.NotEqual(path, again.RedirectPath());
    }

    [Fact]
    public async Task Run_again_from_another_users_job_is_not_found_and_shows_nothing_of_it()
    {
        using PortalClient jack = await SignInAsync("ptest-lform-jack");
        using HttpResponseMessage submitted = await LaunchAsync(jack, Fields(name: "jacks-secret", image: "localhost/busybox:latest"));
        string path = submitted.RedirectPath()!;
        using PortalClient kate = await SignInAsync("ptest-lform-kate");
        string admin = TestNames.Unique("lform-admin");
        await portal.CreateUserAsync(admin, TestNames.Password, admin: true, linuxUser: "ptest-lform-admin");
        using PortalClient root = portal.CreatePortalClient();
        using HttpResponseMessage _ = await root.LoginAsync(admin, TestNames.Password);

        string copy = $"/jobs/new?from={path["/jobs/".Length..]}";
        using HttpResponseMessage peek = await kate.Http.GetAsync(copy);
        using HttpResponseMessage adminCopy = await root.Http.GetAsync(copy);
        string adminView = await root.PageAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, peek.StatusCode);
        Assert.DoesNotContain("jacks-secret", await peek.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // An admin sees the job but may not launch it as themselves: no link, and the copy is not found.
        Assert.Contains("jacks-secret", adminView, StringComparison.Ordinal);
        Assert.DoesNotContain("?from=", adminView, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, adminCopy.StatusCode);
    }

    private static string Summary(string page)
    {
        Match match = Regex.Match(page, "<div class=\"error-summary\".*?</ul>", RegexOptions.Singleline);
        Assert.True(match.Success, "The page has no error summary.");
        return match.Value;
    }

    private static IEnumerable<string> SummaryLinks(string summary) =>
        Regex.Matches(summary, "<a href=\"/jobs/new#([a-z]+)\"").Select(m => m.Groups[1].Value);

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
        string name = TestNames.Unique(linuxUser.Replace("ptest-lform-", "", StringComparison.Ordinal));
        await portal.CreateUserAsync(name, TestNames.Password, linuxUser: linuxUser);
        PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage login = await client.LoginAsync(name, TestNames.Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return client;
    }

    private static List<KeyValuePair<string, string>> Fields(
        string name, string image, string environment = "", string command = "echo\nhi", string cpus = "1", string memory = "256",
        string walltime = "5", string workdir = "", string? key = null) =>
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
        new("Form.SubmissionKey", key ?? "form-" + Guid.NewGuid().ToString("N")),
    ];

    private static Task<HttpResponseMessage> LaunchAsync(PortalClient client, List<KeyValuePair<string, string>> fields) =>
        client.PostFormAsync("/jobs/new", "launch", fields);
}

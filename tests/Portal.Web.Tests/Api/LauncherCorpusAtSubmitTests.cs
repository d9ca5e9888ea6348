using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Portal.Data.Entities.Jobs;
using Portal.Tests.Corpus;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Api;

/// <summary>
/// The launcher's bad-input corpus (tests/Corpus) through the portal's submit paths: every request a person can make
/// that the launcher would refuse later is refused at submit, with a message on the field it is about, and queues
/// nothing. The API takes every such case; the launch form every case its text fields can express.
/// </summary>
public sealed class LauncherCorpusAtSubmitTests(ApiPortalFactory portal) : IClassFixture<ApiPortalFactory>
{
    /// <summary>The form's input for each field, which its messages follow.</summary>
    private static readonly Dictionary<string, string> FormInputIds = new(StringComparer.Ordinal)
    {
        ["Image"] = "image", ["Command"] = "command", ["Environment"] = "environment", ["WorkingDirectory"] = "workdir",
        ["Mounts"] = "mounts", ["Gpus"] = "gpus", ["Cpus"] = "cpus", ["MemoryMiB"] = "memory",
    };

    public static TheoryData<string> SubmitCases() =>
        new(LauncherCorpus.Cases.Values.Where(c => c.PortalField is not null).Select(c => c.Name));

    public static TheoryData<string> FormCases() =>
        new(LauncherCorpus.Cases.Values.Where(c => c.PortalField is not null && c.NotInForm is null).Select(c => c.Name));

    [Fact]
    public void Every_case_either_names_the_portal_field_or_says_why_no_submission_can_make_it()
    {
        Assert.All(LauncherCorpus.Cases.Values, c => Assert.True(c.PortalField is not null ^ c.NotAtSubmit is not null, c.Name));
        Assert.All(LauncherCorpus.Cases.Values.Where(c => c.PortalField is not null && c.NotInForm is null), c => Assert.Contains(c.PortalField!, FormInputIds.Keys));
        Assert.All(LauncherCorpus.Cases.Values.Where(c => c.PortalField is not null), c => Assert.Contains(c.PortalField!, FormInputIds.Keys.Append("Session")));
        Assert.True(LauncherCorpus.Cases.Values.Count(c => c.PortalField is not null) >= 90);
    }

    [Theory]
    [MemberData(nameof(SubmitCases))]
    public async Task Through_the_API_the_case_is_refused_at_submit_with_a_field_message(string name)
    {
        CorpusCase corpusCase = LauncherCorpus.Case(name);
        JsonObject run = corpusCase.Run(await PlacesAsync())!;
        ApiAccounts accounts = await portal.AccountsAsync();
        // Only administrators name GPUs, so GPU cases go in as one: refused for the GPUs, not for the role.
        using HttpClient client = portal.ApiClient(await portal.TokenAsync(run.ContainsKey("gpus") ? accounts.Admin : accounts.Alice, TestScopes.ReadWrite));
        int before = await JobCountAsync();

        using HttpResponseMessage response = await client.PostAsync("/api/v1/jobs",
            new StringContent(ApiBody(run).ToJsonString(), Encoding.UTF8, "application/json"));

        JsonElement problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        string field = ApiField(corpusCase.PortalField!, run);
        Assert.True(ProblemAssert.Errors(problem, field).Count > 0, $"{name}: no message for '{field}' in {problem}");
        Assert.Equal(before, await JobCountAsync());
    }

    [Theory]
    [MemberData(nameof(FormCases))]
    public async Task Through_the_launch_form_the_case_is_refused_at_submit_with_a_field_message(string name)
    {
        CorpusCase corpusCase = LauncherCorpus.Case(name);
        JsonObject run = corpusCase.Run(await PlacesAsync())!;
        using PortalClient alice = await SignInAsync();
        int before = await JobCountAsync();

        using HttpResponseMessage response = await alice.PostFormAsync("/jobs/new", "launch", FormFields(run));

        string page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {(int)response.StatusCode} {response.Headers.Location}");
        string section = FieldSection(page, FormInputIds[corpusCase.PortalField!]);
        Assert.True(section.Contains("class=\"validation-message\"", StringComparison.Ordinal), $"{name}: no message under {corpusCase.PortalField}: {section}");
        Assert.Equal(before, await JobCountAsync());
    }

    [Fact]
    public async Task A_NUL_in_a_launch_form_field_is_refused_whole_and_queues_nothing()
    {
        JsonObject run = LauncherCorpus.Case("command \"a\\u0000b\"").Run(await PlacesAsync())!;
        using PortalClient alice = await SignInAsync();
        int before = await JobCountAsync();

        using HttpResponseMessage response = await alice.PostFormAsync("/jobs/new", "launch", FormFields(run));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, await JobCountAsync());
    }

    /// <summary>The submit request for a run section, with the launch form's defaults for the rest.</summary>
    private static JsonObject ApiBody(JsonObject run)
    {
        var body = new JsonObject { ["name"] = "corpus", ["walltimeMinutes"] = 60 };
        foreach ((string launcherName, string apiName) in new[]
        {
            ("image", "image"), ("command", "command"), ("env", "environment"), ("workdir", "workingDirectory"),
            ("mounts", "mounts"), ("gpus", "gpuUuids"), ("cpus", "cpus"), ("memoryMiB", "memoryMiB"),
        })
        {
            if (run.ContainsKey(launcherName))
            {
                body[apiName] = run[launcherName]?.DeepClone();
            }
        }

        // A session section comes from a session of the kind that makes it: a web app on a port, or on the socket.
        if (run["session"] is JsonObject session)
        {
            body["session"] = new JsonObject { ["kind"] = "webapp", ["port"] = session["bridgePort"]?.DeepClone() };
        }

        return body;
    }

    private static string ApiField(string portalField, JsonObject run) => portalField switch
    {
        "Gpus" when run.ContainsKey("gpus") => "gpuUuids",
        "WorkingDirectory" => "workingDirectory",
        "MemoryMiB" => "memoryMiB",
        _ => char.ToLowerInvariant(portalField[0]) + portalField[1..],
    };

    /// <summary>The launch form as a person would fill it in for a run section: one argument, variable or mount per line.</summary>
    private static List<KeyValuePair<string, string>> FormFields(JsonObject run)
    {
        string Lines(JsonNode? node, Func<JsonNode?, string> line) => node is JsonArray items ? string.Join('\n', items.Select(line)) : "";
        string Text(JsonNode? node) => node is null ? "" : node.GetValueKind() == JsonValueKind.String ? (string)node! : node.ToJsonString();
        return
        [
            new("Form.Name", "corpus"),
            new("Form.Image", Text(run["image"])),
            new("Form.Command", Lines(run["command"], Text)),
            new("Form.Environment", run["env"] is JsonObject env ? string.Join('\n', env.Select(e => e.Key + "=" + Text(e.Value))) : ""),
            new("Form.WorkingDirectory", Text(run["workdir"])),
            new("Form.Mounts", Lines(run["mounts"], m => Text(m!["source"]) + ":" + Text(m["target"]) + ((bool?)m["readOnly"] == true ? ":ro" : ""))),
            new("Form.Gpus", "0"),
            new("Form.Cpus", run["cpus"] is { } cpus ? Text(cpus) : "1"),
            new("Form.MemoryMiB", run["memoryMiB"] is { } memory ? Text(memory) : "4096"),
            new("Form.Walltime", "60"),
        ];
    }

    /// <summary>The page from the input <paramref name="inputId"/> to the next label: the input and its messages.</summary>
    private static string FieldSection(string page, string inputId)
    {
        int start = page.IndexOf($"id=\"{inputId}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no input {inputId} on the page");
        int end = page.IndexOf("<label", start, StringComparison.Ordinal);
        return page[start..(end < 0 ? page.Length : end)];
    }

    private async Task<CorpusPlaces> PlacesAsync()
    {
        ApiAccounts accounts = await portal.AccountsAsync();
        var alice = (await portal.FindLinuxAccountAsync(accounts.Alice.LinuxUserName!))!;
        var bob = (await portal.FindLinuxAccountAsync(accounts.Bob.LinuxUserName!))!;
        return new CorpusPlaces(alice.Name, alice.Home, bob.Name, bob.Home, alice.Home + "/projects");
    }

    private async Task<PortalClient> SignInAsync()
    {
        ApiAccounts accounts = await portal.AccountsAsync();
        PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage login = await client.LoginAsync(accounts.Alice.UserName!, TestNames.Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return client;
    }

    private Task<int> JobCountAsync() => portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync());
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portal.Tests.Corpus;

/// <summary>Where a corpus case's placeholders point on the machine of the test that reads it.</summary>
/// <param name="User">The Linux account the request acts as: <c>{user}</c>.</param>
/// <param name="Home">Its home: <c>{home}</c>.</param>
/// <param name="Other">Another account: <c>{other}</c>.</param>
/// <param name="OtherHome">Its home: <c>{otherHome}</c>.</param>
/// <param name="Projects">A folder of the user's under a shared mount root: <c>{projects}</c>.</param>
public sealed record CorpusPlaces(string User, string Home, string Other, string OtherHome, string Projects);

/// <summary>One request the launcher must refuse (tests/Corpus/README.md).</summary>
public sealed class CorpusCase(JsonObject data)
{
    private static readonly JsonObject DefaultRequest = new()
    {
        ["version"] = 1,
        ["verb"] = "run",
        ["user"] = "{user}",
        ["job"] = "c1",
        ["run"] = new JsonObject { ["image"] = "localhost/ptest-busybox:latest", ["command"] = new JsonArray("true") },
    };

    public string Name { get; } = (string)data["name"]!;

    /// <summary>The portal field that must carry the refusal at submit (a <c>JobSpec</c> property name), or null.</summary>
    public string? PortalField { get; } = (string?)data["portal"];

    /// <summary>Why the portal's submit path has no way to send this request; null when <see cref="PortalField"/> is set.</summary>
    public string? NotAtSubmit { get; } = (string?)data["notAtSubmit"];

    /// <summary>Why the launch form cannot express the case (the API can); null when it can.</summary>
    public string? NotInForm { get; } = (string?)data["notInForm"];

    /// <summary>The exact bytes to give the launcher on stdin.</summary>
    public string RequestText(CorpusPlaces places)
    {
        if (data["raw"] is JsonArray raw)
        {
            var text = new StringBuilder();
            foreach (JsonNode? part in raw)
            {
                text.Append(part is JsonObject o && o.ContainsKey("$request")
                    ? Render(places)[..^((int?)o["dropLast"] ?? 0)]
                    : (string)Expand(part, places)!);
            }

            return text.ToString();
        }

        return Render(places);
    }

    /// <summary>The run section of the request, placeholders filled in; null for cases given as raw text or as an app.</summary>
    public JsonObject? Run(CorpusPlaces places) =>
        data["raw"] is null && data["app"] is null ? (JsonObject)Request(places)["run"]!.DeepClone() : null;

    public override string ToString() => Name;

    private string Render(CorpusPlaces places) => Request(places).ToJsonString();

    private JsonObject Request(CorpusPlaces places)
    {
        var request = (JsonObject)Expand(DefaultRequest, places)!;
        if (data["app"] is JsonObject app)
        {
            // An app-up request: the default envelope with the app section instead of the run section.
            request["verb"] = "app-up";
            request.Remove("run");
            request["app"] = Expand(app, places);
        }

        if (data["request"] is JsonObject top)
        {
            foreach ((string key, JsonNode? value) in top)
            {
                request[key] = Expand(value, places);
            }
        }

        if (data["run"] is JsonObject run && request["run"] is JsonObject)
        {
            var section = (JsonObject)request["run"]!;
            foreach ((string key, JsonNode? value) in run)
            {
                section[key] = Expand(value, places);
            }
        }

        return request;
    }

    /// <summary>A deep copy with the generators of README.md run and the placeholders filled in.</summary>
    private static JsonNode? Expand(JsonNode? node, CorpusPlaces places)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject o when o["$text"] is { } text:
                return string.Concat(Enumerable.Repeat((string)text!, Times(o)));
            case JsonObject o when o["$repeat"] is { } item:
                return new JsonArray([.. Enumerable.Range(0, Times(o)).Select(_ => Expand(item, places))]);
            case JsonObject o when o["$names"] is { } prefix:
                return new JsonObject(Enumerable.Range(0, Times(o)).Select(i =>
                    KeyValuePair.Create((string)prefix! + i.ToString(CultureInfo.InvariantCulture), Expand(o["value"], places))));
            case JsonObject o when o["$entries"] is JsonArray entries:
                return new JsonObject(entries.Select(e =>
                    KeyValuePair.Create((string)Expand(e![0], places)!, Expand(e[1], places))));
            case JsonObject o when o["$mounts"] is { } source:
                return new JsonArray([.. Enumerable.Range(0, Times(o)).Select(i => (JsonNode)new JsonObject
                {
                    ["source"] = Expand(source, places),
                    ["target"] = "/m" + i.ToString(CultureInfo.InvariantCulture),
                })]);
            case JsonObject o:
                return new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Expand(p.Value, places))));
            case JsonArray a:
                return new JsonArray([.. a.Select(item => Expand(item, places))]);
            default:
                return node.GetValueKind() == JsonValueKind.String ? JsonValue.Create(Fill((string)node!, places)) : node.DeepClone();
        }
    }

    private static int Times(JsonObject generator) => (int)generator["times"]!;

    private static string Fill(string text, CorpusPlaces places) => text
        .Replace("{user}", places.User, StringComparison.Ordinal)
        .Replace("{home}", places.Home, StringComparison.Ordinal)
        .Replace("{otherHome}", places.OtherHome, StringComparison.Ordinal)
        .Replace("{other}", places.Other, StringComparison.Ordinal)
        .Replace("{projects}", places.Projects, StringComparison.Ordinal);
}

/// <summary>tests/Corpus/launcher-bad-requests.json, which the test projects copy next to their binaries.</summary>
public static class LauncherCorpus
{
    public const string FileName = "launcher-bad-requests.json";

    private static readonly Lazy<Dictionary<string, CorpusCase>> Loaded = new(Load);

    public static IReadOnlyDictionary<string, CorpusCase> Cases => Loaded.Value;

    public static CorpusCase Case(string name) => Cases[name];

    private static Dictionary<string, CorpusCase> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Corpus", FileName);
        JsonNode root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false })!;
        var cases = new Dictionary<string, CorpusCase>(StringComparer.Ordinal);
        foreach (JsonNode? node in root["cases"]!.AsArray())
        {
            var c = new CorpusCase(node!.AsObject());
            if ((c.PortalField is null) == (c.NotAtSubmit is null))
            {
                throw new InvalidDataException($"Corpus case '{c.Name}' needs either 'portal' or 'notAtSubmit'.");
            }

            cases.Add(c.Name, c);
        }

        return cases;
    }
}

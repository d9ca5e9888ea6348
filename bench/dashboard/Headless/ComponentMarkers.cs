using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Portal.Bench.Dashboard.Headless;

/// <summary>
/// The interactive server components a prerendered page asks for, as blazor.web.js finds them: each
/// <c>&lt;!--Blazor:{"type":"server",...,"descriptor":"..."}--&gt;</c> start comment carries a data-protected
/// descriptor that the circuit accepts once, and <c>&lt;!--Blazor-Server-Component-State:...--&gt;</c> the state the
/// prerender persisted for the circuit.
/// </summary>
internal static partial class ComponentMarkers
{
    /// <summary>The <c>UpdateRootComponents</c> batch that adds every server component of the page, numbered in page
    /// order from 1 as the browser's root component manager numbers them.</summary>
    public static string AddOperations(string html, int batchId)
    {
        var operations = new JsonArray();
        foreach (Match comment in MarkerComment().Matches(html))
        {
            var marker = JsonNode.Parse(comment.Groups["json"].Value)!.AsObject();
            // End comments carry only the prerender id; start comments carry the type and descriptor.
            if (marker["type"]?.GetValue<string>() != "server")
            {
                continue;
            }

            operations.Add(new JsonObject
            {
                ["type"] = "add",
                ["ssrComponentId"] = operations.Count + 1,
                ["marker"] = marker,
            });
        }

        if (operations.Count == 0)
        {
            throw new InvalidOperationException("The page has no interactive server component marker.");
        }

        return new JsonObject { ["batchId"] = batchId, ["operations"] = operations }.ToJsonString(JsonOptions);
    }

    /// <summary>The persisted component state for the circuit, or "" when the page has none.</summary>
    public static string PersistedState(string html) =>
        StateComment().Match(html) is { Success: true } match ? match.Groups["state"].Value : "";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };

    [GeneratedRegex(@"<!--Blazor:(?<json>\{.*?\})-->", RegexOptions.Singleline)]
    private static partial Regex MarkerComment();

    [GeneratedRegex(@"<!--Blazor-Server-Component-State:(?<state>[A-Za-z0-9+/=]+)-->")]
    private static partial Regex StateComment();
}

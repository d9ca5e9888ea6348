using System.Collections.Concurrent;

namespace Portal.Bench.Dashboard.Headless;

/// <summary>
/// What the headless client answers to the server's JS interop calls, and a count of the calls by function, so the
/// report says what was answered. Every call succeeds with <c>null</c>: the dashboard's only call is the renderer's
/// attachment, which returns nothing (a component library that asked the browser for values would need answers here).
/// </summary>
internal sealed class JsCallAnswers
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    public string Answer(string identifier)
    {
        _calls.AddOrUpdate(identifier, 1, (_, count) => count + 1);
        return "null";
    }

    /// <summary>"function (calls), ..." for the report.</summary>
    public string Summary() =>
        string.Join(", ", _calls.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} ({c.Value})"));
}

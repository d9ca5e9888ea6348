using System.Collections.Concurrent;

namespace Portal.Bench.Dashboard.Headless;

/// <summary>
/// What the headless client answers to the server's JS interop calls, and a count of the calls by function, so the
/// report says what was answered. Every call succeeds with <c>null</c> (right for void calls), except the few whose
/// .NET caller expects a value that null cannot be: those get what a light-themed desktop browser would answer.
/// </summary>
internal sealed class JsCallAnswers
{
    private static readonly Dictionary<string, string> Values = new(StringComparer.Ordinal)
    {
        // MudThemeProvider.GetSystemDarkModeAsync reads a bool: a null would only work through its error path.
        ["mudThemeProvider.isDarkMode"] = "false",
    };

    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    public string Answer(string identifier)
    {
        _calls.AddOrUpdate(identifier, 1, (_, count) => count + 1);
        return Values.GetValueOrDefault(identifier, "null");
    }

    /// <summary>"function (calls), ..." for the report.</summary>
    public string Summary() =>
        string.Join(", ", _calls.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} ({c.Value})"));
}

using System.Text.Json;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Podman;

/// <summary>
/// Reads podman 4's JSON output into protocol records. Parsed by hand with JsonDocument: podman's
/// schema is wide and loose, and only a few fields matter here.
/// </summary>
internal static class PodmanJson
{
    public static ContainerState? ParseInspect(string json)
    {
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Array || doc.RootElement.GetArrayLength() == 0)
        {
            return null;
        }

        JsonElement c = doc.RootElement[0];
        JsonElement state = c.GetProperty("State");
        Dictionary<string, string> labels = Labels(c.TryGetProperty("Config", out JsonElement config) ? config : default);
        return new ContainerState
        {
            Name = Str(c, "Name") ?? "",
            Id = Str(c, "Id"),
            Job = labels.GetValueOrDefault(LauncherProtocol.JobLabel),
            Owner = labels.GetValueOrDefault(LauncherProtocol.OwnerLabel),
            State = Str(state, "Status"),
            ExitCode = Int(state, "ExitCode"),
            Pid = Int(state, "Pid") is > 0 and int pid ? pid : null,
            ConmonPid = Int(state, "ConmonPid") is > 0 and int cpid ? cpid : null,
            StartedAt = Time(state, "StartedAt"),
            FinishedAt = Time(state, "FinishedAt"),
            Image = Str(c, "ImageName"),
        };
    }

    public static List<ContainerState> ParsePs(string json)
    {
        var result = new List<ContainerState>();
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json);
        foreach (JsonElement c in doc.RootElement.EnumerateArray())
        {
            Dictionary<string, string> labels = Labels(c);
            string name = c.TryGetProperty("Names", out JsonElement names) && names.ValueKind == JsonValueKind.Array && names.GetArrayLength() > 0
                ? names[0].GetString() ?? "" : "";
            result.Add(new ContainerState
            {
                Name = name,
                Id = Str(c, "Id"),
                Job = labels.GetValueOrDefault(LauncherProtocol.JobLabel),
                Owner = labels.GetValueOrDefault(LauncherProtocol.OwnerLabel),
                State = Str(c, "State"),
                ExitCode = Int(c, "ExitCode"),
                Pid = Int(c, "Pid") is > 0 and int pid ? pid : null,
                StartedAt = Unix(c, "StartedAt"),
                FinishedAt = Unix(c, "ExitedAt"),
                Image = Str(c, "Image"),
                App = labels.GetValueOrDefault(LauncherProtocol.AppLabel),
                Service = labels.GetValueOrDefault(LauncherProtocol.ServiceLabel),
            });
        }

        return result;
    }

    public static List<ImageInfo> ParseImages(string json)
    {
        var result = new List<ImageInfo>();
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json);
        foreach (JsonElement i in doc.RootElement.EnumerateArray())
        {
            List<string> names = i.TryGetProperty("Names", out JsonElement n) && n.ValueKind == JsonValueKind.Array
                ? [.. n.EnumerateArray().Select(e => e.GetString() ?? "")] : [];
            result.Add(new ImageInfo
            {
                Id = Str(i, "Id") ?? "",
                Names = names,
                Size = i.TryGetProperty("Size", out JsonElement size) && size.ValueKind == JsonValueKind.Number ? size.GetInt64() : null,
                Created = Unix(i, "Created"),
            });
        }

        return result;
    }

    private static Dictionary<string, string> Labels(JsonElement e)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("Labels", out JsonElement l) && l.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty p in l.EnumerateObject())
            {
                labels[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : "";
            }
        }

        return labels;
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : null;

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        Str(e, name) is { } s && DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out DateTimeOffset t) && t.Year > 1
            ? t : null;

    private static DateTimeOffset? Unix(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long s) && s > 0
            ? DateTimeOffset.FromUnixTimeSeconds(s) : null;
}

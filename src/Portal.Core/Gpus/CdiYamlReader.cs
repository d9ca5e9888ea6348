namespace Portal.Core.Gpus;

/// <summary>
/// Reads the top-level <c>kind</c> and each <c>devices[].name</c> from a CDI spec in block YAML, as nvidia-ctk
/// writes it:
/// <code>
/// kind: nvidia.com/gpu
/// devices:
/// - containerEdits: ...
///   name: "0"
/// </code>
/// Only keys at the device item's own indentation count, so a <c>name</c> nested deeper (in hooks, mounts) is ignored.
/// </summary>
internal static class CdiYamlReader
{
    public static CdiSpecSummary Read(string text)
    {
        string? kind = null;
        var names = new List<string>();
        var inDevices = false;
        var itemDash = -1;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            var content = line.TrimStart();
            if (content.Length == 0 || content.StartsWith('#') || content == "---")
            {
                continue;
            }

            var indent = line.Length - content.Length;
            if (indent == 0 && !content.StartsWith('-'))
            {
                // A top-level key ends the device list.
                inDevices = content.StartsWith("devices:", StringComparison.Ordinal);
                itemDash = -1;
                if (content.StartsWith("kind:", StringComparison.Ordinal))
                {
                    kind = Unquote(content["kind:".Length..]);
                }

                continue;
            }

            if (!inDevices)
            {
                continue;
            }

            if (content.StartsWith("- ", StringComparison.Ordinal) && (itemDash < 0 || indent == itemDash))
            {
                // A new device item: "- key: value" with the first key on the dash line.
                itemDash = indent;
                AddIfName(content[2..].TrimStart(), names);
            }
            else if (itemDash >= 0 && indent == itemDash + 2)
            {
                AddIfName(content, names);
            }
        }

        return new CdiSpecSummary(kind, names);
    }

    private static void AddIfName(string keyValue, List<string> names)
    {
        if (keyValue.StartsWith("name:", StringComparison.Ordinal))
        {
            names.Add(Unquote(keyValue["name:".Length..]));
        }
    }

    private static string Unquote(string value)
    {
        var trimmed = value.Trim();
        return trimmed.Length >= 2 && (trimmed[0] == '"' || trimmed[0] == '\'') && trimmed[^1] == trimmed[0]
            ? trimmed[1..^1]
            : trimmed;
    }
}

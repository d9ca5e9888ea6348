using System.Text;
using System.Text.Json;
using Portal.Launcher.Policy;

namespace Portal.Launcher.Driver;

/// <summary>
/// The policy file's text with its <c>driver</c> field replaced (or added), every other byte kept as the administrator
/// wrote it (comments and layout included).
/// </summary>
internal static class DriverPolicyText
{
    public static byte[] WithDriver(byte[] policy, DriverPolicy driver)
    {
        byte[] value = Encoding.UTF8.GetBytes(ToJson(driver));
        var r = new Utf8JsonReader(policy, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 16 });
        int objectStart = -1;
        while (r.Read())
        {
            if (r.TokenType == JsonTokenType.StartObject && r.CurrentDepth == 0)
            {
                objectStart = (int)r.TokenStartIndex;
            }
            else if (r.TokenType == JsonTokenType.PropertyName && r.CurrentDepth == 1 && r.ValueTextEquals("driver"u8))
            {
                _ = r.Read();
                int start = (int)r.TokenStartIndex;
                r.Skip();
                int end = (int)r.BytesConsumed;
                return [.. policy.AsSpan(0, start), .. value, .. policy.AsSpan(end)];
            }
            else if (r.CurrentDepth >= 1 && r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                r.Skip();
            }
        }

        if (objectStart < 0)
        {
            throw new JsonException("the policy holds no object.");
        }

        byte[] inserted = [.. "\n  \"driver\": "u8, .. value, .. ","u8];
        return [.. policy.AsSpan(0, objectStart + 1), .. inserted, .. policy.AsSpan(objectStart + 1)];
    }

    /// <summary>The field's value, one file per line.</summary>
    public static string ToJson(DriverPolicy driver)
    {
        var text = new StringBuilder();
        text.Append("{\"version\": ").Append(Quote(driver.Version)).Append(", \"files\": [");
        for (int i = 0; i < driver.Files.Count; i++)
        {
            DriverFile file = driver.Files[i];
            text.Append(i == 0 ? "\n    " : ",\n    ").Append("{\"path\": ").Append(Quote(file.Path));
            if (file.Links.Count > 0)
            {
                text.Append(", \"links\": [").AppendJoin(", ", file.Links.Select(Quote)).Append(']');
            }

            text.Append('}');
        }

        return text.Append(driver.Files.Count > 0 ? "\n  ]}" : "]}").ToString();
    }

    private static string Quote(string s) => "\"" + JsonEncodedText.Encode(s).ToString() + "\"";
}

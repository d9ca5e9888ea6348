using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Portal.Api.Contracts;
using Portal.Cli.Client;

namespace Portal.Cli.Output;

/// <summary>Where results and errors go: human text or indented JSON (the API's own shapes) on stdout, errors on
/// stderr, so <c>portal jobs --json | jq</c> never sees a message.</summary>
public sealed class CliOutput(bool json, TextWriter stdout, TextWriter stderr)
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = ApiJsonContext.Default,
    };

    public bool Json => json;

    public TextWriter Out => stdout;

    public TextWriter Err => stderr;

    public void WriteJson<T>(T value)
    {
        var typeInfo = (JsonTypeInfo<T>)Indented.GetTypeInfo(typeof(T));
        stdout.WriteLine(JsonSerializer.Serialize(value, typeInfo));
    }

    public void Error(string message) => stderr.WriteLine("portal: " + message);

    public void Error(PortalApiException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var first = true;
        foreach (var line in e.Lines())
        {
            stderr.WriteLine(first ? "portal: " + line : line);
            first = false;
        }
    }
}

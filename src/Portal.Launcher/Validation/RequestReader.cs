using System.Text.Json;

namespace Portal.Launcher.Validation;

/// <summary>Where a request read from stdin ends, without waiting for the end of stdin.</summary>
internal static class RequestReader
{
    /// <summary>
    /// True once <paramref name="received"/> holds a whole top-level JSON object, or bytes that no
    /// continuation could make valid: either way reading more cannot change the answer, and the
    /// deserializer then accepts the request or says what is wrong with it (trailing data included).
    /// </summary>
    public static bool EndsHere(ReadOnlySpan<byte> received)
    {
        var reader = new Utf8JsonReader(received, isFinalBlock: false, state: default);
        try
        {
            return !reader.Read() || reader.TokenType != JsonTokenType.StartObject || reader.TrySkip();
        }
        catch (JsonException)
        {
            return true;
        }
    }
}

using System.Text.Json.Serialization;
using Portal.Launcher.Protocol;

namespace Portal.Launcher;

/// <summary>
/// The launcher's writer for its one reply: source generation's fast path, which writes the JSON
/// directly instead of building the serializer's metadata for every response type first (it runs
/// once per call, after podman). Its options are the protocol context's write options, and a unit
/// test holds the output byte for byte to what that context writes.
/// </summary>
/// <remarks>
/// Bench: bench/launcher, target launcher/bare podman &lt;= 1.10. Buys about 1-2 ms between podman's
/// exit and the reply (2026-11-30).
/// </remarks>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(LauncherResponse))]
internal sealed partial class ResponseJsonContext : JsonSerializerContext;

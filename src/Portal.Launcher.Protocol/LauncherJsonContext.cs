using System.Text.Json.Serialization;

namespace Portal.Launcher.Protocol;

/// <summary>
/// Source-generated (NativeAOT-safe) serializer for the protocol. Unknown fields and duplicated
/// keys are errors: a request that says more than we understand is refused, not half-read.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
    AllowTrailingCommas = false,
    MaxDepth = 8)]
[JsonSerializable(typeof(LauncherRequest))]
[JsonSerializable(typeof(LauncherResponse))]
public sealed partial class LauncherJsonContext : JsonSerializerContext;

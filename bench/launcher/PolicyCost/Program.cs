using System.Text.Json;
#if POLICY_SERIALIZER
using System.Text.Json.Serialization;
#endif
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

// policy-cost POLICY: what a launcher call does with JSON before it acts. Reads the policy file and parses it (with
// the launcher's PolicyReader, or with a source-generated context when built with -p:PolicyParser=serializer), then
// parses a run request with the protocol's context. Prints nothing; the harness times whole processes.
byte[] bytes = File.ReadAllBytes(args[0]);
#if POLICY_SERIALIZER
LauncherPolicy policy = JsonSerializer.Deserialize(bytes, PolicyJsonContext.Default.LauncherPolicy)!;
#else
LauncherPolicy policy = PolicyReader.Parse(bytes);
#endif
LauncherRequest request = JsonSerializer.Deserialize(
    """{"version":1,"verb":"run","user":"alice","job":"42","run":{"image":"localhost/busybox:latest","command":["sleep","600"]}}"""u8,
    LauncherJsonContext.Default.LauncherRequest)!;
return policy.MinUid > 0 && request.Run is not null ? 0 : 1;

#if POLICY_SERIALIZER
/// <summary>The policy under the rules PolicyReader keeps: exact names, nothing unknown, nothing twice, comments skipped.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    NumberHandling = JsonNumberHandling.Strict,
    ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(LauncherPolicy))]
internal sealed partial class PolicyJsonContext : JsonSerializerContext;
#endif

using System.Text.Json;

namespace Portal.Launcher.Policy;

/// <summary>
/// Reads the policy file with <see cref="Utf8JsonReader"/>, under the rules the request's
/// source-generated serializer applies: camelCase names matched exactly, unknown and duplicated
/// properties refused, required ones checked, null only where a field is optional, comments skipped,
/// nothing after the object.
/// </summary>
/// <remarks>
/// Hand-written because the launcher reads the policy on every call and the serializer's metadata
/// for these types cost more than reading them. The request keeps the source-generated serializer:
/// it is the input that crosses the trust boundary.
/// Bench: bench/launcher, target start-to-exec &lt;= 10 ms. Buys 0.6-1.2 ms of CPU per call against a
/// source-generated context for the same types and rules, of the launcher's own 8-9 ms, and 54 KB of
/// image (bench/launcher/policy-cost.sh, 2026-12-05).
/// </remarks>
internal static partial class PolicyReader
{
    private static readonly JsonReaderOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 16 };

    public static LauncherPolicy Parse(ReadOnlySpan<byte> json)
    {
        var r = new Utf8JsonReader(json, Options);
        if (!r.Read())
        {
            throw new JsonException("the file holds no JSON value.");
        }

        LauncherPolicy policy = ReadPolicy(ref r);
        if (r.Read())
        {
            throw new JsonException($"unexpected {r.TokenType} after the policy object.");
        }

        return policy;
    }

    private static LauncherPolicy ReadPolicy(ref Utf8JsonReader r)
    {
        const string where = "the policy";
        int? version = null;
        uint? minUid = null;
        string? group = null, podman = null, runtime = null, auditLog = null;
        bool allowNetwork = false, useCdi = false, manageDeviceAcls = false;
        DriverPolicy? driver = null;
        List<PolicyMountRoot> mountRoots = [];
        List<PolicyGpu> gpus = [];
        List<string> gpuControlNodes = [];
        long? pidsLimit = null, logMaxBytes = null;
        double? maxCpus = null;
        long? maxMemoryMiB = null;
        string stateDir = LauncherPolicy.DefaultStateDir, setfacl = LauncherPolicy.DefaultSetfacl;
        string pamService = LauncherPolicy.DefaultPamService;
        List<string> privilegedGroups = [];
        IReadOnlyList<string> homeRoots = LauncherPolicy.DefaultHomeRoots;
        SessionPolicy? sessions = null;
        string cgroupParent = LauncherPolicy.DefaultCgroupParent, conmon = LauncherPolicy.DefaultConmon;
        string storageDriver = LauncherPolicy.OverlayStorage;
        string fuseOverlayfs = LauncherPolicy.DefaultFuseOverlayfs;
        int podmanTimeoutSeconds = LauncherPolicy.DefaultPodmanTimeoutSeconds;
        SlurmPolicy? slurm = null;
        List<PolicyRegistry> registries = [];
        int imagePullTimeoutSeconds = LauncherPolicy.DefaultImagePullTimeoutSeconds;
        int imageBuildTimeoutSeconds = LauncherPolicy.DefaultImageBuildTimeoutSeconds;
        bool killGpuProcesses = false;
        int gpuProcessKillGraceSeconds = LauncherPolicy.DefaultGpuProcessKillGraceSeconds;

        var seen = StartObject(ref r, where);
        while (NextProperty(ref r, seen, where, out string name))
        {
            switch (name)
            {
                case "version": version = Int32(ref r, name); break;
                case "minUid": minUid = UInt32(ref r, name); break;
                case "group": group = String(ref r, name); break;
                case "podman": podman = String(ref r, name); break;
                case "runtime": runtime = String(ref r, name); break;
                case "allowNetwork": allowNetwork = Bool(ref r, name); break;
                case "mountRoots": mountRoots = MountRoots(ref r); break;
                case "gpus": gpus = Gpus(ref r); break;
                case "gpuControlNodes": gpuControlNodes = Strings(ref r, name); break;
                case "useCdi": useCdi = Bool(ref r, name); break;
                case "driver": driver = IsNull(ref r) ? null : ReadDriver(ref r); break;
                case "pidsLimit": pidsLimit = Int64(ref r, name); break;
                case "logMaxBytes": logMaxBytes = Int64(ref r, name); break;
                case "maxCpus": maxCpus = IsNull(ref r) ? null : Double(ref r, name); break;
                case "maxMemoryMiB": maxMemoryMiB = IsNull(ref r) ? null : Int64(ref r, name); break;
                case "manageDeviceAcls": manageDeviceAcls = Bool(ref r, name); break;
                case "auditLog": auditLog = String(ref r, name); break;
                case "stateDir": stateDir = String(ref r, name); break;
                case "setfacl": setfacl = String(ref r, name); break;
                case "pamService": pamService = String(ref r, name); break;
                case "privilegedGroups": privilegedGroups = Strings(ref r, name); break;
                case "homeRoots": homeRoots = Strings(ref r, name); break;
                case "sessions": sessions = IsNull(ref r) ? null : ReadSessions(ref r); break;
                case "cgroupParent": cgroupParent = String(ref r, name); break;
                case "podmanTimeoutSeconds": podmanTimeoutSeconds = Int32(ref r, name); break;
                case "conmon": conmon = String(ref r, name); break;
                case "storageDriver": storageDriver = String(ref r, name); break;
                case "fuseOverlayfs": fuseOverlayfs = String(ref r, name); break;
                case "slurm": slurm = IsNull(ref r) ? null : ReadSlurm(ref r); break;
                case "registries": registries = Registries(ref r); break;
                case "imagePullTimeoutSeconds": imagePullTimeoutSeconds = Int32(ref r, name); break;
                case "imageBuildTimeoutSeconds": imageBuildTimeoutSeconds = Int32(ref r, name); break;
                case "killGpuProcesses": killGpuProcesses = Bool(ref r, name); break;
                case "gpuProcessKillGraceSeconds": gpuProcessKillGraceSeconds = Int32(ref r, name); break;
                default: throw Unknown(where, name);
            }
        }

        return new LauncherPolicy
        {
            Version = version ?? throw Missing(where, "version"),
            MinUid = minUid ?? throw Missing(where, "minUid"),
            Group = group ?? throw Missing(where, "group"),
            Podman = podman ?? throw Missing(where, "podman"),
            Runtime = runtime ?? throw Missing(where, "runtime"),
            AllowNetwork = allowNetwork,
            MountRoots = mountRoots,
            Gpus = gpus,
            GpuControlNodes = gpuControlNodes,
            UseCdi = useCdi,
            Driver = driver,
            PidsLimit = pidsLimit ?? throw Missing(where, "pidsLimit"),
            LogMaxBytes = logMaxBytes ?? throw Missing(where, "logMaxBytes"),
            MaxCpus = maxCpus,
            MaxMemoryMiB = maxMemoryMiB,
            ManageDeviceAcls = manageDeviceAcls,
            AuditLog = auditLog ?? throw Missing(where, "auditLog"),
            StateDir = stateDir,
            Setfacl = setfacl,
            PamService = pamService,
            PrivilegedGroups = privilegedGroups,
            HomeRoots = homeRoots,
            Sessions = sessions,
            CgroupParent = cgroupParent,
            PodmanTimeoutSeconds = podmanTimeoutSeconds,
            Conmon = conmon,
            StorageDriver = storageDriver,
            FuseOverlayfs = fuseOverlayfs,
            Slurm = slurm,
            Registries = registries,
            ImagePullTimeoutSeconds = imagePullTimeoutSeconds,
            ImageBuildTimeoutSeconds = imageBuildTimeoutSeconds,
            KillGpuProcesses = killGpuProcesses,
            GpuProcessKillGraceSeconds = gpuProcessKillGraceSeconds,
        };
    }

    private static SessionPolicy ReadSessions(ref Utf8JsonReader r)
    {
        const string where = "sessions";
        string? dir = null, group = null, bridge = null;
        var seen = StartObject(ref r, where);
        while (NextProperty(ref r, seen, where, out string name))
        {
            switch (name)
            {
                case "dir": dir = String(ref r, where + ".dir"); break;
                case "group": group = String(ref r, where + ".group"); break;
                case "bridge": bridge = OptionalString(ref r, where + ".bridge"); break;
                default: throw Unknown(where, name);
            }
        }

        return new SessionPolicy { Dir = dir ?? throw Missing(where, "dir"), Group = group ?? throw Missing(where, "group"), Bridge = bridge };
    }

    private static DriverPolicy ReadDriver(ref Utf8JsonReader r)
    {
        const string where = "driver";
        string? version = null;
        List<DriverFile>? files = null;
        var seen = StartObject(ref r, where);
        while (NextProperty(ref r, seen, where, out string name))
        {
            switch (name)
            {
                case "version": version = String(ref r, where + ".version"); break;
                case "files": files = DriverFiles(ref r); break;
                default: throw Unknown(where, name);
            }
        }

        return new DriverPolicy { Version = version ?? throw Missing(where, "version"), Files = files ?? throw Missing(where, "files") };
    }

    private static List<DriverFile> DriverFiles(ref Utf8JsonReader r)
    {
        List<DriverFile> files = [];
        StartArray(ref r, "driver.files");
        while (NextItem(ref r))
        {
            string where = $"driver.files[{files.Count}]";
            string? path = null;
            List<string> links = [];
            var seen = StartObject(ref r, where);
            while (NextProperty(ref r, seen, where, out string name))
            {
                switch (name)
                {
                    case "path": path = String(ref r, where + ".path"); break;
                    case "links": links = Strings(ref r, where + ".links"); break;
                    default: throw Unknown(where, name);
                }
            }

            files.Add(new DriverFile { Path = path ?? throw Missing(where, "path"), Links = links });
        }

        return files;
    }

    private static List<PolicyMountRoot> MountRoots(ref Utf8JsonReader r)
    {
        List<PolicyMountRoot> roots = [];
        StartArray(ref r, "mountRoots");
        while (NextItem(ref r))
        {
            string where = $"mountRoots[{roots.Count}]";
            string? path = null;
            bool userHome = false, readOnly = false;
            var seen = StartObject(ref r, where);
            while (NextProperty(ref r, seen, where, out string name))
            {
                switch (name)
                {
                    case "path": path = OptionalString(ref r, where + ".path"); break;
                    case "userHome": userHome = Bool(ref r, where + ".userHome"); break;
                    case "readOnly": readOnly = Bool(ref r, where + ".readOnly"); break;
                    default: throw Unknown(where, name);
                }
            }

            roots.Add(new PolicyMountRoot { Path = path, UserHome = userHome, ReadOnly = readOnly });
        }

        return roots;
    }

    private static List<PolicyRegistry> Registries(ref Utf8JsonReader r)
    {
        List<PolicyRegistry> registries = [];
        StartArray(ref r, "registries");
        while (NextItem(ref r))
        {
            string where = $"registries[{registries.Count}]";
            string? host = null;
            bool insecure = false;
            var seen = StartObject(ref r, where);
            while (NextProperty(ref r, seen, where, out string name))
            {
                switch (name)
                {
                    case "host": host = String(ref r, where + ".host"); break;
                    case "insecure": insecure = Bool(ref r, where + ".insecure"); break;
                    default: throw Unknown(where, name);
                }
            }

            registries.Add(new PolicyRegistry { Host = host ?? throw Missing(where, "host"), Insecure = insecure });
        }

        return registries;
    }

    private static List<PolicyGpu> Gpus(ref Utf8JsonReader r)
    {
        List<PolicyGpu> gpus = [];
        StartArray(ref r, "gpus");
        while (NextItem(ref r))
        {
            string where = $"gpus[{gpus.Count}]";
            string? id = null, node = null, cdi = null, visibleId = null;
            List<string> caps = [];
            var seen = StartObject(ref r, where);
            while (NextProperty(ref r, seen, where, out string name))
            {
                switch (name)
                {
                    case "id": id = String(ref r, where + ".id"); break;
                    case "node": node = String(ref r, where + ".node"); break;
                    case "cdi": cdi = OptionalString(ref r, where + ".cdi"); break;
                    case "visibleId": visibleId = OptionalString(ref r, where + ".visibleId"); break;
                    case "caps": caps = Strings(ref r, where + ".caps"); break;
                    default: throw Unknown(where, name);
                }
            }

            gpus.Add(new PolicyGpu { Id = id ?? throw Missing(where, "id"), Node = node ?? throw Missing(where, "node"), Cdi = cdi, VisibleId = visibleId, Caps = caps });
        }

        return gpus;
    }

    private static List<string> Strings(ref Utf8JsonReader r, string where)
    {
        List<string> items = [];
        StartArray(ref r, where);
        while (NextItem(ref r))
        {
            items.Add(String(ref r, $"{where}[{items.Count}]"));
        }

        return items;
    }

    private static HashSet<string> StartObject(ref Utf8JsonReader r, string where) =>
        r.TokenType == JsonTokenType.StartObject ? new HashSet<string>(StringComparer.Ordinal) : throw Expected(where, "an object", r.TokenType);

    private static void StartArray(ref Utf8JsonReader r, string where)
    {
        if (r.TokenType != JsonTokenType.StartArray)
        {
            throw Expected(where, "an array", r.TokenType);
        }
    }

    /// <summary>Moves to the next property's value; false at the object's end. A repeated name is refused.</summary>
    private static bool NextProperty(ref Utf8JsonReader r, HashSet<string> seen, string where, out string name)
    {
        _ = r.Read();
        if (r.TokenType == JsonTokenType.EndObject)
        {
            name = "";
            return false;
        }

        name = r.GetString()!;
        if (!seen.Add(name))
        {
            throw new JsonException($"{where}: '{name}' appears twice.");
        }

        _ = r.Read();
        return true;
    }

    /// <summary>Moves to the next array item; false at the array's end.</summary>
    private static bool NextItem(ref Utf8JsonReader r) => r.Read() && r.TokenType != JsonTokenType.EndArray;

    private static string String(ref Utf8JsonReader r, string where) =>
        r.TokenType == JsonTokenType.String ? r.GetString()! : throw Expected(where, "a string", r.TokenType);

    /// <summary>An optional field: JSON null reads as absent.</summary>
    private static bool IsNull(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null;

    private static string? OptionalString(ref Utf8JsonReader r, string where) => IsNull(ref r) ? null : String(ref r, where);

    private static bool Bool(ref Utf8JsonReader r, string where) => r.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Expected(where, "true or false", r.TokenType),
    };

    private static int Int32(ref Utf8JsonReader r, string where) =>
        r.TokenType == JsonTokenType.Number && r.TryGetInt32(out int value) ? value : throw Expected(ref r, where, "a whole number");

    private static uint UInt32(ref Utf8JsonReader r, string where) =>
        r.TokenType == JsonTokenType.Number && r.TryGetUInt32(out uint value) ? value : throw Expected(ref r, where, "a whole number from 0 to 4294967295");

    private static long Int64(ref Utf8JsonReader r, string where) =>
        r.TokenType == JsonTokenType.Number && r.TryGetInt64(out long value) ? value : throw Expected(ref r, where, "a whole number");

    private static double Double(ref Utf8JsonReader r, string where) =>
        r.TokenType == JsonTokenType.Number && r.TryGetDouble(out double value) ? value : throw Expected(ref r, where, "a number");

    private static JsonException Expected(string where, string what, JsonTokenType found) =>
        new($"{where} must be {what} (found {Describe(found)}).");

    private static JsonException Expected(ref Utf8JsonReader r, string where, string what) =>
        r.TokenType == JsonTokenType.Number
            ? new($"{where} must be {what} (found {System.Text.Encoding.UTF8.GetString(r.ValueSpan)}).")
            : Expected(where, what, r.TokenType);

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.Null => "null",
        JsonTokenType.String => "a string",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => token.ToString(),
    };

    private static JsonException Unknown(string where, string name) => new($"{where}: unknown property '{name}'.");

    private static JsonException Missing(string where, string name) => new($"{where}: '{name}' is required.");
}

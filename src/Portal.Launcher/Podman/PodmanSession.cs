using Portal.Launcher.Native;
using Portal.Launcher.Policy;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Podman;

/// <summary>
/// How podman is started for one user: the root-owned configuration it must read (and nothing of the user's), the
/// global options (no default mounts from the user's mounts.conf; the user's storage driver), the clean environment,
/// and the deadline of every call.
/// </summary>
internal sealed class PodmanSession
{
    private readonly LauncherPolicy _policy;
    private readonly string _configDir;

    public PodmanSession(LauncherPolicy policy, string configDir, string storageDriver)
    {
        _policy = policy;
        _configDir = configDir;
        StorageDriver = storageDriver;
    }

    public const string ContainersConfVariable = "CONTAINERS_CONF";
    public const string StorageConfVariable = "CONTAINERS_STORAGE_CONF";
    public const string RegistriesConfVariable = "CONTAINERS_REGISTRIES_CONF";

    /// <summary>The driver this user's podman runs with: the policy's, or vfs for storage already made with vfs.</summary>
    public string StorageDriver { get; }

    public string ContainersConf => _configDir + "/containers.conf";

    public string StorageConf => _configDir + "/storage.conf";

    public string RegistriesConf => _configDir + "/registries.conf";

    /// <summary>An empty file: podman's hidden --default-mounts-file, so that no mounts.conf (the user's included) adds mounts.</summary>
    public string MountsFile => _configDir + "/mounts.conf";

    /// <summary>The deadline of one podman call.</summary>
    public TimeSpan Deadline => TimeSpan.FromSeconds(_policy.PodmanTimeoutSeconds);

    /// <summary>podman and its global options; the subcommand and its arguments follow.</summary>
    public List<string> Command(params string[] subcommand)
    {
        List<string> argv = [_policy.Podman, "--default-mounts-file", MountsFile];
        if (StorageDriver != _policy.StorageDriver)
        {
            argv.AddRange(["--storage-driver", StorageDriver]);
        }

        argv.AddRange(subcommand);
        return argv;
    }

    /// <summary>The whole environment podman gets: the allow-list and the paths of the root-owned configuration.</summary>
    public Dictionary<string, string> Environment(UserAccount user, string? runtimeDir)
    {
        Dictionary<string, string> env = PodmanArgs.Environment(user, runtimeDir);
        env[ContainersConfVariable] = ContainersConf;
        env[StorageConfVariable] = StorageConf;
        env[RegistriesConfVariable] = RegistriesConf;
        return env;
    }
}

/// <summary>Which storage driver a user's existing rootless storage was made with.</summary>
internal static class UserStorage
{
    public const string Graph = ".local/share/containers/storage";

    /// <summary>
    /// vfs when the user's storage holds vfs layers and no overlay ones (podman refuses to open storage made by
    /// another driver), else <paramref name="preferred"/>. Run as the user: the home is the user's to arrange.
    /// </summary>
    public static string DriverOf(string home, string preferred)
    {
        string graph = home + "/" + Graph;
        return IsDir(graph + "/vfs-layers") && !IsDir(graph + "/overlay-layers") ? Policy.LauncherPolicy.VfsStorage : preferred;
    }

    private static bool IsDir(string path) => SafeFiles.StatPath(path, follow: false, out stat st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR;
}

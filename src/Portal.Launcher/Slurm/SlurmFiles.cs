using System.Security.Cryptography;
using Portal.Launcher.Native;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Slurm;

/// <summary>
/// The files of a Slurm job in the user's home (<c>~/.portal/slurm</c>): its output file, which Slurm writes on the
/// node, and its environment file, which the batch script reads and deletes when it starts. Homes are shared across
/// a cluster's nodes, so both are where the node and the portal host can see them. Everything here runs after the
/// drop, as the user.
/// </summary>
internal static unsafe class SlurmFiles
{
    /// <summary>Creates <c>~/.portal/slurm</c> (0700) if needed; refuses a symlink or a folder that is not the user's.</summary>
    public static string EnsureOutputDirectory(UserAccount user)
    {
        string path = user.Home;
        foreach (string segment in SlurmNames.OutputDirectory.Split('/'))
        {
            path = Path.Combine(path, segment);
            int rc = SafeFiles.WithPath(path, p => mkdir(p, 0x1C0 /* 0700 */));
            if (rc < 0 && errno != EEXIST)
            {
                throw new RequestRefusedException($"Cannot create {path} as {user.Name} (errno {errno}).");
            }

            if (SafeFiles.StatPath(path, follow: false, out stat st) < 0 || (st.st_mode & S_IFMT) != S_IFDIR || st.st_uid != user.Uid)
            {
                throw new RequestRefusedException($"{path} must be a directory of {user.Name}'s, not a link.");
            }
        }

        return path;
    }

    /// <summary>The random part of a job's environment files' names: nothing can be planted under such a name first,
    /// two submissions of one job never share one, and it travels as the job's comment (so a cancel can delete them).</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>
    /// Writes an environment, one NAME=value per line, to a new 0600 file named by the job, the token and, for one
    /// service of an app, the service. Returns its path.
    /// </summary>
    public static string WriteEnvFile(IReadOnlyDictionary<string, string> env, string directory, string job, string token, string? service = null)
    {
        string path = Path.Combine(directory, EnvFileName(job, token, service));
        Verbs.EnvFile.WriteNew(path, env);
        return path;
    }

    /// <summary>Deletes the environment files a job's comment names (the job's, or its services'), if the comment is one
    /// the launcher wrote.</summary>
    public static void DeleteEnvFile(UserAccount user, string job, string comment)
    {
        if (!comment.StartsWith(SlurmArgs.EnvCommentPrefix, StringComparison.Ordinal))
        {
            return;
        }

        string token = comment[SlurmArgs.EnvCommentPrefix.Length..];
        if (token.Length != 16 || !token.All(char.IsAsciiHexDigitLower))
        {
            return;
        }

        string directory = Path.Combine(user.Home, SlurmNames.OutputDirectory);
        File.Delete(Path.Combine(directory, EnvFileName(job, token, null)));
        // Service names are [a-z0-9-]: the pattern matches this job's services' files and nothing of another job's.
        foreach (string path in Directory.EnumerateFiles(directory, $"portal-{job}-{token}.*.env"))
        {
            File.Delete(path);
        }
    }

    private static string EnvFileName(string job, string token, string? service) =>
        service is null ? $"portal-{job}-{token}.env" : $"portal-{job}-{token}.{service}.env";
}

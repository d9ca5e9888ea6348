using Portal.Launcher.Native;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Verbs;

/// <summary>
/// The build folder of an <c>image-build</c>, checked on the file system as the user (after the drop), as bind mounts
/// are: under one of the user's mount roots, no symlink anywhere on the way, a folder the user can read and enter, and
/// a Containerfile in it that is a plain file the user can read. A rootless build reads only what the user can read,
/// so this keeps builds inside the policy's scope, not behind a privilege boundary.
/// </summary>
internal static unsafe class BuildContext
{
    /// <summary>The Containerfile's full path. Throws <see cref="RequestRefusedException"/> with what is wrong.</summary>
    public static string Check(BuildSpec build, Policy.LauncherPolicy policy, UserAccount user)
    {
        MountRoot[] roots = [.. policy.MountRoots.Select(r => r.For(user.Home)).OfType<MountRoot>()];
        if (ImageBuildRules.ContextProblem(build.Context, roots) is { } problem)
        {
            RequestValidator.Refuse(problem);
        }

        string walked = "";
        stat st = default;
        foreach (string segment in build.Context[1..].Split('/'))
        {
            walked += "/" + segment;
            if (SafeFiles.StatPath(walked, follow: false, out st) < 0)
            {
                RequestValidator.Refuse($"Build folder '{build.Context}': '{walked}' is not accessible to {user.Name} (errno {errno}).");
            }

            if ((st.st_mode & S_IFMT) == S_IFLNK)
            {
                RequestValidator.Refuse($"Build folder '{build.Context}': '{walked}' is a symlink.");
            }
        }

        if ((st.st_mode & S_IFMT) != S_IFDIR || SafeFiles.WithPath(build.Context, p => access(p, R_OK | X_OK)) != 0)
        {
            RequestValidator.Refuse($"Build folder '{build.Context}' is not a folder {user.Name} can read.");
        }

        foreach (string name in build.Containerfile is { } named ? [named] : ImageBuildRules.DefaultContainerfiles)
        {
            string path = build.Context + "/" + name;
            if (SafeFiles.StatPath(path, follow: false, out stat file) < 0)
            {
                continue;
            }

            if ((file.st_mode & S_IFMT) != S_IFREG)
            {
                RequestValidator.Refuse($"'{path}' is not a plain file (a symlink or a folder is not taken).");
            }

            if (SafeFiles.WithPath(path, p => access(p, R_OK)) != 0)
            {
                RequestValidator.Refuse($"'{path}' is not readable by {user.Name}.");
            }

            return path;
        }

        RequestValidator.Refuse(build.Containerfile is null
            ? $"Build folder '{build.Context}' holds no Containerfile or Dockerfile."
            : $"Build folder '{build.Context}' holds no file '{build.Containerfile}'.");
        return "";
    }
}

namespace Portal.Launcher.Protocol;

/// <summary>
/// Which builds <c>image-build</c> takes. The portal checks a build with these before it calls the launcher, and the
/// launcher checks it again (and then the folder itself, on the file system, as the user), so that a build the portal
/// accepts is never refused for its shape later.
/// </summary>
public static class ImageBuildRules
{
    /// <summary>The registry part every built image gets: a build never names (or pushes to) a real registry.</summary>
    public const string LocalRegistry = "localhost";

    /// <summary>The tag a <c>NAME</c> without one gets, as podman would give it.</summary>
    public const string DefaultTag = "latest";

    /// <summary>The names looked for in the context when the request names no Containerfile, in this order.</summary>
    public static readonly IReadOnlyList<string> DefaultContainerfiles = ["Containerfile", "Dockerfile"];

    /// <summary>Transport names containers/image reads before a ':'; a name that starts with one reads as a transport to a
    /// person (and to podman, without the <c>localhost/</c> prefix), so it is refused rather than guessed at.</summary>
    private static readonly string[] Transports =
        ["docker", "docker-archive", "docker-daemon", "oci", "oci-archive", "containers-storage", "dir", "sif", "tarball"];

    /// <summary>The problems of <paramref name="build"/>, first one first; empty when it may be built. With
    /// <paramref name="roots"/> (the user's mount roots) the context must lie under one of them.</summary>
    public static IReadOnlyList<BuildRuleViolation> Check(BuildSpec build, IEnumerable<MountRoot>? roots)
    {
        ArgumentNullException.ThrowIfNull(build);
        List<BuildRuleViolation> problems = [];
        if (ContextProblem(build.Context, roots) is { } context)
        {
            problems.Add(new BuildRuleViolation(nameof(BuildSpec.Context), context));
        }

        if (ContainerfileProblem(build.Containerfile) is { } file)
        {
            problems.Add(new BuildRuleViolation(nameof(BuildSpec.Containerfile), file));
        }

        if (TagProblem(build.Tag) is { } tag)
        {
            problems.Add(new BuildRuleViolation(nameof(BuildSpec.Tag), tag));
        }

        return problems;
    }

    /// <summary>Why <paramref name="context"/> cannot be a build context, or null: a clean absolute path (the characters of
    /// a bind mount's source, no <c>.</c> or <c>..</c> part) under one of <paramref name="roots"/> when given.</summary>
    public static string? ContextProblem(string? context, IEnumerable<MountRoot>? roots)
    {
        if (!PathRules.IsMountPath(context))
        {
            return $"The build folder '{UntrustedText.Printable(context ?? "")}' must be an absolute path of letters, digits and . _ @ + - without '.' or '..' parts.";
        }

        if (roots is not null && MountRoot.Holding(roots, context) is null)
        {
            return $"The build folder '{context}' is outside the folders you may use (your mount roots).";
        }

        return null;
    }

    /// <summary>Why <paramref name="name"/> cannot name the Containerfile, or null: absent (the defaults apply), or one
    /// file name of [A-Za-z0-9._-] inside the context, never <c>.</c> or <c>..</c>, never starting with '-'.</summary>
    public static string? ContainerfileProblem(string? name) =>
        name is null
        || (name.Length is > 0 and <= PathRules.MaxSegmentLength && name is not ("." or "..") && name[0] != '-'
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            ? null
            : $"The Containerfile '{UntrustedText.Printable(name)}' must be a file name inside the build folder (letters, digits, . _ -; no '/').";

    /// <summary>
    /// Why <paramref name="tag"/> cannot name the built image, or null: <c>NAME[:TAG]</c>, lower-case path components
    /// (as in any image reference) starting with a letter or digit, no registry (the image is always
    /// <c>localhost/NAME</c>), no digest, no transport.
    /// </summary>
    public static string? TagProblem(string? tag)
    {
        string shown = UntrustedText.Printable(tag ?? "");
        if (string.IsNullOrEmpty(tag) || tag.Length > ImageReference.MaxLength - LocalRegistry.Length - 1)
        {
            return "Name the image: NAME or NAME:TAG, e.g. my-model:v1.";
        }

        int colon = tag.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && Transports.Contains(tag[..colon], StringComparer.Ordinal))
        {
            return $"'{shown}' starts with the transport '{tag[..colon]}:': name the image as NAME[:TAG]; it is stored as {LocalRegistry}/NAME.";
        }

        if (ImageRules.Registry(tag) is { } registry)
        {
            return $"'{shown}' names the registry '{registry}': a built image is stored as {LocalRegistry}/NAME[:TAG]; leave the registry out.";
        }

        if (tag.Contains('@', StringComparison.Ordinal) || !ImageReference.IsValid(LocalRegistry + "/" + tag) || !(char.IsAsciiLetterLower(tag[0]) || char.IsAsciiDigit(tag[0])))
        {
            return $"'{shown}' is not NAME[:TAG]: lower-case letters, digits and . _ - (and / between parts) in the name, then optionally ':' and a tag of letters, digits and . _ -.";
        }

        return null;
    }

    /// <summary>The reference the built image gets: <c>localhost/NAME:TAG</c>, <c>:latest</c> when no tag was given.</summary>
    public static string LocalReference(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        int slash = tag.LastIndexOf('/');
        return LocalRegistry + "/" + tag + (tag.IndexOf(':', slash + 1) < 0 ? ":" + DefaultTag : "");
    }
}

/// <summary>One problem of a build request: the BuildSpec property it belongs to and what to do.</summary>
public sealed record BuildRuleViolation(string Field, string Message);

/// <summary>
/// How <c>image-build</c> writes its log to the caller: podman's lines framed as <see cref="LogFrame"/> frames (stream
/// letter, the launcher's time of reading, the text), and after a build that succeeded one last frame of its own,
/// <c>i SP time SP id</c>, the built image's id. podman's text never holds a line break and its frames are always
/// <c>o</c> or <c>e</c>, so no build can forge the id frame.
/// </summary>
public static class BuildFrame
{
    public const char ImageIdLetter = 'i';

    /// <summary>The image id an <c>i</c> frame carries, or null for any other frame.</summary>
    public static string? ImageId(string frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Length > LogFrame.HeaderLength && frame[0] == ImageIdLetter && frame[1] == ' ' && frame[LogFrame.HeaderLength - 1] == ' '
            && ImageRules.IsImageId(frame[LogFrame.HeaderLength..]) ? frame[LogFrame.HeaderLength..] : null;
    }
}

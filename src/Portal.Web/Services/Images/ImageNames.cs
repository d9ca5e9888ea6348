using Portal.Launcher.Protocol;

namespace Portal.Web.Services.Images;

/// <summary>Whether a reference as a person typed it (a job's image, a remove request) names a given stored image.</summary>
public static class ImageNames
{
    /// <summary>
    /// True when <paramref name="reference"/> is one of the image's names, that name with the <c>:latest</c> podman
    /// adds to an untagged reference, a short name podman resolves to it (<c>busybox</c> for
    /// <c>localhost/busybox:latest</c> or <c>docker.io/library/busybox:latest</c>), or a prefix of its id of at least 12 digits.
    /// </summary>
    public static bool Names(string reference, ImageInfo image)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(image);
        if (ImageRules.IsImageId(reference) && image.Id.StartsWith(reference, StringComparison.Ordinal))
        {
            return true;
        }

        string full = WithTag(reference);
        bool shortName = ImageRules.Registry(full) is null;
        return image.Names.Any(n => n == full || (shortName && PathOf(n) is { } path && (path == full || path == "library/" + full)));
    }

    /// <summary>A name without its registry (<c>team/tool:1.2</c> of <c>registry.example.org/team/tool:1.2</c>).</summary>
    private static string? PathOf(string name) => ImageRules.Registry(name) is { } registry ? name[(registry.Length + 1)..] : null;

    /// <summary>The reference with <c>:latest</c> when it has neither a tag nor a digest, as podman reads it.</summary>
    public static string WithTag(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.Contains('@', StringComparison.Ordinal))
        {
            return reference;
        }

        int slash = reference.LastIndexOf('/');
        return reference.IndexOf(':', slash + 1) >= 0 ? reference : reference + ":latest";
    }
}

namespace Portal.Launcher.Protocol;

/// <summary>
/// Which references <c>image-pull</c> and <c>image-remove</c> take: the portal checks a request with these before it
/// calls the launcher, and the launcher checks it again, so that a request the portal accepts is never refused later.
/// </summary>
public static class ImageRules
{
    private const int MinIdLength = 12;
    private const int MaxIdLength = 64;

    /// <summary>
    /// The registry a reference names: its first component when that is a host (it has a '.' or a ':' or is
    /// <c>localhost</c>, as podman reads it), else null (a short name, which a pull never resolves).
    /// </summary>
    public static string? Registry(string reference)
    {
        int slash = reference.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return null;
        }

        string first = reference[..slash];
        return (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost")
            && ImageReference.IsHost(first) ? first : null;
    }

    /// <summary>
    /// Why <paramref name="reference"/> may not be pulled, or null. A pull names its registry, one of
    /// <paramref name="allowedRegistries"/> exactly: no short name (no search list is consulted), no transport prefix
    /// (<c>docker-archive:</c>, <c>oci:</c>, <c>containers-storage:</c>, <c>docker://</c>: none is a well-formed
    /// reference with a registry), no option.
    /// </summary>
    public static string? PullProblem(string? reference, IEnumerable<string> allowedRegistries)
    {
        if (!ImageReference.IsValid(reference))
        {
            return $"'{UntrustedText.Printable(reference ?? "")}' is not an image reference: write registry/name[:tag] or registry/name@sha256:digest.";
        }

        List<string> allowed = [.. allowedRegistries];
        string? registry = Registry(reference!);
        if (registry is null)
        {
            return $"'{reference}' names no registry: write it in full, e.g. {(allowed.Count > 0 ? allowed[0] : "registry.example.org")}/name:tag.";
        }

        if (!allowed.Contains(registry, StringComparer.Ordinal))
        {
            return allowed.Count == 0
                ? "This server allows pulls from no registry."
                : $"The registry '{registry}' is not allowed here; allowed: {string.Join(", ", allowed)}.";
        }

        return null;
    }

    /// <summary>Why <paramref name="reference"/> cannot name an image to remove, or null: a well-formed reference or an
    /// image id (12 to 64 lower-case hex digits).</summary>
    public static string? RemoveProblem(string? reference) =>
        ImageReference.IsValid(reference) || IsImageId(reference)
            ? null
            : $"'{UntrustedText.Printable(reference ?? "")}' is neither an image reference nor an image id.";

    /// <summary>12 to 64 lower-case hex digits: an image id or its prefix as podman prints it.</summary>
    public static bool IsImageId(string? s) =>
        s is { Length: >= MinIdLength and <= MaxIdLength } && s.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}

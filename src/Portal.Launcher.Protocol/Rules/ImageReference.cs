namespace Portal.Launcher.Protocol;

/// <summary>
/// The image references a run request may name: <c>[host[:port]/]path[:tag][@sha256:digest]</c> as the OCI
/// distribution spec writes them (path components lower-case), starting with a lower-case letter or digit so that
/// podman can never read one as an option. Checked by hand rather than with a regular expression: the launcher is a
/// NativeAOT program that starts once per request, and the regex engine would be a large part of it.
/// </summary>
public static class ImageReference
{
    public const int MaxLength = 255;

    private const int MaxTagLength = 128;
    private const string DigestPrefix = "@sha256:";

    /// <summary>True for a well-formed reference of at most <see cref="MaxLength"/> characters.</summary>
    public static bool IsValid(string? image)
    {
        if (string.IsNullOrEmpty(image) || image.Length > MaxLength || !(char.IsAsciiLetterLower(image[0]) || char.IsAsciiDigit(image[0])))
        {
            return false;
        }

        string name = image;
        int at = name.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            string digest = name[at..];
            if (!digest.StartsWith(DigestPrefix, StringComparison.Ordinal) || digest.Length != DigestPrefix.Length + 64
                || !digest[DigestPrefix.Length..].All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
            {
                return false;
            }

            name = name[..at];
        }

        // A ':' after the last '/' starts the tag; one before it belongs to the host's port.
        int colon = name.LastIndexOf(':');
        if (colon > name.LastIndexOf('/'))
        {
            if (!IsTag(name[(colon + 1)..]))
            {
                return false;
            }

            name = name[..colon];
        }

        string[] components = name.Split('/');
        for (int i = 0; i < components.Length; i++)
        {
            bool mayBeHost = i == 0 && components.Length > 1;
            if (!IsPathComponent(components[i]) && !(mayBeHost && IsHost(components[i])))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Runs of [a-z0-9] joined by one separator each: '.', '_', "__" or any number of '-'.</summary>
    private static bool IsPathComponent(string s)
    {
        int i = 0;
        if (!SkipLowerAlnum(s, ref i))
        {
            return false;
        }

        while (i < s.Length)
        {
            switch (s[i])
            {
                case '.':
                    i++;
                    break;
                case '_':
                    i += i + 1 < s.Length && s[i + 1] == '_' ? 2 : 1;
                    break;
                case '-':
                    while (i < s.Length && s[i] == '-')
                    {
                        i++;
                    }

                    break;
                default:
                    return false;
            }

            if (!SkipLowerAlnum(s, ref i))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Dot-separated labels of [A-Za-z0-9-] (letters or digits at both ends), then an optional numeric port.</summary>
    public static bool IsHost(string s)
    {
        int colon = s.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0 && (colon == s.Length - 1 || !s[(colon + 1)..].All(char.IsAsciiDigit)))
        {
            return false;
        }

        string host = colon < 0 ? s : s[..colon];
        return host.Split('.').All(label => label.Length > 0 && char.IsAsciiLetterOrDigit(label[0]) && char.IsAsciiLetterOrDigit(label[^1])
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
    }

    /// <summary>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.</summary>
    private static bool IsTag(string s) =>
        s.Length is > 0 and <= MaxTagLength && (char.IsAsciiLetterOrDigit(s[0]) || s[0] == '_')
        && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    private static bool SkipLowerAlnum(string s, ref int i)
    {
        int start = i;
        while (i < s.Length && (char.IsAsciiLetterLower(s[i]) || char.IsAsciiDigit(s[i])))
        {
            i++;
        }

        return i > start;
    }
}

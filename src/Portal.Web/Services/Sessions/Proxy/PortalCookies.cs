using System.Text;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Portal.Web.Services.Sessions.Proxy;

/// <summary>Tells the portal's own cookies (session, antiforgery) from an app's.</summary>
internal static class PortalCookies
{
    /// <summary>The portal's cookies all start with one of these (the session cookie may be split into chunks).</summary>
    private static readonly string[] Prefixes = ["portal.", ".AspNetCore.", "__Host-portal", "__Secure-portal"];

    public static bool IsPortals(ReadOnlySpan<char> name)
    {
        foreach (string prefix in Prefixes)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The request's Cookie header without the portal's cookies; null when nothing is left. Split by hand rather than
    /// parsed: an app's cookie that a strict parser rejects still passes byte for byte.
    /// </summary>
    public static string? Without(StringValues cookieHeaders)
    {
        var kept = new StringBuilder();
        foreach (string? header in cookieHeaders)
        {
            foreach (string pair in (header ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = pair.IndexOf('=', StringComparison.Ordinal);
                ReadOnlySpan<char> name = (equals < 0 ? pair : pair[..equals]).AsSpan().Trim();
                if (!IsPortals(name))
                {
                    kept.Append(kept.Length == 0 ? "" : "; ").Append(pair);
                }
            }
        }

        return kept.Length == 0 ? null : kept.ToString();
    }

    /// <summary>An app's Set-Cookie headers without those that would overwrite the portal's cookies (and without any
    /// this parser cannot read, which might).</summary>
    public static StringValues WithoutPortalSetCookies(StringValues setCookies) =>
        new([.. setCookies.Where(h => h is not null && SetCookieHeaderValue.TryParse(h, out SetCookieHeaderValue? c) && !IsPortals(c.Name.AsSpan()))]);
}

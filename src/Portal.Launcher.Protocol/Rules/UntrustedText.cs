using System.Text;

namespace Portal.Launcher.Protocol;

/// <summary>Untrusted text quoted into messages, the audit log and stderr.</summary>
public static class UntrustedText
{
    private const int MaxShown = 80;

    /// <summary>ASCII printable characters only (anything else becomes '?'), at most 80 of them.</summary>
    public static string Printable(string? s)
    {
        if (s is null)
        {
            return "(null)";
        }

        var sb = new StringBuilder();
        foreach (char c in s.Length > MaxShown ? s[..MaxShown] : s)
        {
            sb.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return s.Length > MaxShown ? sb + "..." : sb.ToString();
    }
}

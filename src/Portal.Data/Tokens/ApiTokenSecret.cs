using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Portal.Data.Tokens;

/// <summary>
/// The secret part of a personal access token: <c>gpp_</c> and 43 base64url characters (256 random bits). The
/// prefix makes a leaked token recognisable to secret scanners and people; the randomness makes a plain, unsalted
/// SHA-256 safe to store (no dictionary to try, unlike passwords).
/// </summary>
public static class ApiTokenSecret
{
    public const string Prefix = "gpp_";

    private const int RandomBytes = 32;

    /// <summary>The length of every token this portal issues.</summary>
    public static int Length { get; } = Prefix.Length + Base64Url.GetEncodedLength(RandomBytes);

    public static string Generate() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(RandomBytes));

    /// <summary>True when <paramref name="token"/> could be one of ours: right prefix, length and alphabet. Checked
    /// before any database work, so junk never reaches the database.</summary>
    public static bool LooksValid(string? token) =>
        token is not null
        && token.Length == Length
        && token.StartsWith(Prefix, StringComparison.Ordinal)
        && Base64Url.IsValid(token.AsSpan(Prefix.Length));

    public static byte[] Hash(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return SHA256.HashData(Encoding.ASCII.GetBytes(token));
    }

    /// <summary>What the token list shows: the prefix and a few characters, far too few to guess the rest.</summary>
    public static string DisplayPrefix(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return token[..(Prefix.Length + 6)];
    }
}

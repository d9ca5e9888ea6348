using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Launcher.Protocol;

/// <summary>
/// What an <c>authenticate</c> request carries besides the user name: the password (only ever on the
/// launcher's stdin, never in argv or the environment) and the client's address for PAM and the audit log.
/// </summary>
public sealed record AuthenticateSpec
{
    /// <summary>The longest password accepted, in UTF-8 bytes; longer ones are refused unread by PAM.</summary>
    public const int MaxPasswordBytes = 1024;

    public required Password Password { get; init; }

    /// <summary>The client's IP address as the portal saw it (PAM_RHOST); optional.</summary>
    public string? RemoteAddress { get; init; }
}

/// <summary>
/// A password as UTF-8 bytes in a pinned array that <see cref="Dispose"/> overwrites with zeros. Read from JSON
/// straight into that array (no managed string ever holds it in the launcher), so the secret lives in exactly one
/// place that is cleared when the check is done.
/// </summary>
[JsonConverter(typeof(PasswordJsonConverter))]
public sealed class Password : IDisposable
{
    private readonly byte[] _utf8;
    private int _length;

    internal Password(byte[] pinnedUtf8, int length)
    {
        _utf8 = pinnedUtf8;
        _length = length;
    }

    /// <summary>The password's UTF-8 bytes; empty once disposed.</summary>
    public ReadOnlySpan<byte> Utf8 => _utf8.AsSpan(0, _length);

    /// <summary>Copies <paramref name="text"/> (the portal's side, where a form already holds it as a string).</summary>
    public static Password FromString(string text)
    {
        byte[] buffer = GC.AllocateArray<byte>(Encoding.UTF8.GetByteCount(text), pinned: true);
        int length = Encoding.UTF8.GetBytes(text, buffer);
        return new Password(buffer, length);
    }

    public void Dispose()
    {
        // ZeroMemory is never elided as a dead store, unlike a plain clear of an array about to be dropped.
        CryptographicOperations.ZeroMemory(_utf8);
        _length = 0;
    }

    public override string ToString() => "(password)";
}

/// <summary>Reads a JSON string into a pinned buffer without a managed string; writes the bytes as a JSON string.</summary>
public sealed class PasswordJsonConverter : JsonConverter<Password>
{
    public override Password Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("The password must be a JSON string.");
        }

        // An escaped string is never shorter than its unescaped bytes.
        long escaped = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (escaped > AuthenticateSpec.MaxPasswordBytes * 6)
        {
            throw new JsonException($"The password is longer than {AuthenticateSpec.MaxPasswordBytes} bytes.");
        }

        byte[] buffer = GC.AllocateArray<byte>((int)escaped, pinned: true);
        int length = reader.CopyString(buffer);
        return new Password(buffer, length);
    }

    public override void Write(Utf8JsonWriter writer, Password value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Utf8);
}

/// <summary>The Linux account a password was checked for, as the user database reports it.</summary>
public sealed record AuthenticatedAccount
{
    public required string User { get; init; }

    public required int Uid { get; init; }

    public required int Gid { get; init; }

    public required string Home { get; init; }
}

/// <summary>The launcher's one answer for every password it does not accept (and for accounts it never checks).</summary>
public static class AuthenticateRefusal
{
    public const string Text = "Wrong user name or password.";
}

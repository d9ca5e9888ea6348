using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Portal.Web.Services.Notifications;

/// <summary>
/// How a webhook body is signed: HMAC-SHA256, keyed with the webhook's secret, over <c>"{timestamp}.{body}"</c>,
/// where the timestamp (Unix seconds) is sent in <see cref="TimestampHeader"/>. A receiver recomputes it over the raw
/// body, compares in constant time, and refuses an old timestamp, so a captured request cannot be replayed later.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-Portal-Signature";
    public const string TimestampHeader = "X-Portal-Timestamp";

    /// <summary>The outbox row: the same on every retry of one send, so a receiver can drop a duplicate.</summary>
    public const string DeliveryHeader = "X-Portal-Delivery";

    /// <summary>The header's value: <c>sha256=</c> and the MAC in lower-case hex.</summary>
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }
}

using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Portal.Web.Services.Notifications;

/// <summary>
/// Webhook secrets: made here, shown to their user once, kept in the database only in protected form (the portal's
/// data-protection key ring), and opened again only to sign a send.
/// </summary>
public sealed class WebhookSecrets(IDataProtectionProvider protection)
{
    private const string Prefix = "whsec_";
    private readonly IDataProtector _protector = protection.CreateProtector("Portal.Notifications.WebhookSecret.v1");

    /// <summary>A new secret (what the user is shown) and its protected form (what is stored).</summary>
    public (string Secret, string Protected) Create()
    {
        var secret = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        return (secret, _protector.Protect(secret));
    }

    public string Open(string protectedSecret) => _protector.Unprotect(protectedSecret);

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

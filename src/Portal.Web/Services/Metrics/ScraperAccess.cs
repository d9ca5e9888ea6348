using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Portal.Web.Services.Metrics;

/// <summary>
/// Who may read <c>/metrics</c>: a peer address in <see cref="MetricsOptions.Scrapers"/>, a request bearing the secret of
/// <see cref="MetricsOptions.TokenFile"/>, or a connection without an address (the portal's Unix socket, in-process).
/// Nobody else, a loopback peer included.
/// </summary>
internal sealed class ScraperAccess
{
    private readonly HashSet<IPAddress> _scrapers;
    private readonly byte[]? _token;

    public ScraperAccess(MetricsOptions options)
    {
        _scrapers = [.. options.Scrapers.Select(s => IPAddress.TryParse(s, out IPAddress? a)
            ? a : throw new InvalidOperationException($"{MetricsOptions.SectionName}:Scrapers holds '{s}', which is not an IP address."))];
        _token = string.IsNullOrWhiteSpace(options.TokenFile) ? null : Encoding.UTF8.GetBytes(File.ReadAllText(options.TokenFile).Trim());
        if (_token is { Length: < 16 })
        {
            throw new InvalidOperationException($"{options.TokenFile} holds fewer than 16 characters: too short a secret for {MetricsOptions.SectionName}:TokenFile.");
        }
    }

    public bool Allows(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } address)
        {
            return true;
        }

        if (_scrapers.Contains(address) || (address.IsIPv4MappedToIPv6 && _scrapers.Contains(address.MapToIPv4())))
        {
            return true;
        }

        string header = context.Request.Headers.Authorization.ToString();
        return _token is not null && header.StartsWith("Bearer ", StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()), _token);
    }
}

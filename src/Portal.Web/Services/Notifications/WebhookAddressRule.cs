using System.Net;
using System.Net.Sockets;

namespace Portal.Web.Services.Notifications;

/// <summary>
/// Which addresses a user's webhook may reach. A webhook is a request the portal makes from inside the server's
/// network on a user's word, so by default it may reach only public addresses: never loopback, link-local (cloud
/// metadata services live there), private, shared (carrier-grade NAT), multicast or reserved ranges, unless the
/// administrator lists the network in <see cref="WebhookOptions.AllowedPrivateNetworks"/>. The rule is applied to the
/// address actually connected to, after DNS, so a name that resolves to a private address is refused too.
/// </summary>
public sealed class WebhookAddressRule
{
    private static readonly IPNetwork[] Refused =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.0.2.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("198.51.100.0/24"), IPNetwork.Parse("203.0.113.0/24"),
        IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("64:ff9b::/96"), IPNetwork.Parse("100::/64"),
        IPNetwork.Parse("2001:db8::/32"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
    ];

    private readonly IPNetwork[] _allowed;

    public WebhookAddressRule(IEnumerable<string> allowedPrivateNetworks)
    {
        ArgumentNullException.ThrowIfNull(allowedPrivateNetworks);
        _allowed = [.. allowedPrivateNetworks.Select(Network)];
    }

    /// <summary>Whether a webhook may connect to <paramref name="address"/>.</summary>
    public bool Allows(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        // ::ffff:127.0.0.1 is 127.0.0.1 to the kernel: judge the IPv4 address it carries.
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (_allowed.Any(n => n.Contains(plain)))
        {
            return true;
        }

        return plain.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            && !Refused.Any(n => n.BaseAddress.AddressFamily == plain.AddressFamily && n.Contains(plain))
            && !(plain.AddressFamily == AddressFamily.InterNetwork && plain.Equals(IPAddress.Broadcast));
    }

    /// <summary>Checks a URL a user gives: null when it may be used, else why not (resolving its host now; the
    /// address is checked again at every send, since DNS answers change).</summary>
    public async Task<string?> CheckUrlAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return "The webhook must be an absolute http:// or https:// address.";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "The webhook address must not carry a user name or password.";
        }

        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.IdnHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.IdnHost, cancellationToken);
        }
        catch (SocketException e)
        {
            return $"The webhook's host '{uri.Host}' does not resolve: {e.Message}";
        }

        return addresses.FirstOrDefault(a => !Allows(a)) is { } refused
            ? $"The webhook's host '{uri.Host}' is at {refused}, a loopback, link-local, private or reserved address the portal does not call (an administrator can allow a network)."
            : null;
    }

    private static IPNetwork Network(string text) =>
        IPNetwork.TryParse(text, out var network) ? network
        : IPAddress.TryParse(text, out var address) ? new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)
        : throw new FormatException($"'{text}' is neither an IP address nor a CIDR range.");
}

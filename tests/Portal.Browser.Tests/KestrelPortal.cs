using Portal.Web.Tests.Infrastructure;

namespace Portal.Browser.Tests;

/// <summary>The portal on a real Kestrel socket (a free loopback port), so a real browser can reach it.</summary>
public sealed class KestrelPortal : PortalFactory
{
    public KestrelPortal() => UseKestrel(0);

    public Uri BaseAddress { get; private set; } = default!;

    protected override void StartHost()
    {
        StartServer();
        using HttpClient client = CreateClient();
        BaseAddress = client.BaseAddress!;
    }
}

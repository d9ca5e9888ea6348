using Portal.Web.Tests.Infrastructure;

namespace Portal.Browser.Tests;

/// <summary>The portal on a real Kestrel socket (a free loopback port), so a real browser can reach it.
/// Not sealed: a fixture may derive to add settings (e.g. the fake GPUs in Dashboard/).</summary>
public class KestrelPortal : PortalFactory
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

using System.Net;
using Portal.Data.Entities;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>A signed-in browser-like client and the account behind it.</summary>
public sealed record PortalSession(PortalClient Client, PortalUser User) : IDisposable
{
    public void Dispose() => Client.Dispose();
}

public static class PortalSessions
{
    /// <summary>Creates an account (an admin, or bound to <paramref name="linuxUser"/>) and signs it in.</summary>
    public static async Task<PortalSession> SignInNewAsync(this PortalFactory portal, string prefix, bool admin = false, string? linuxUser = null)
    {
        string name = TestNames.Unique(prefix);
        PortalUser user = await portal.CreateUserAsync(name, TestNames.Password, admin, linuxUser);
        PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage login = await client.LoginAsync(name, TestNames.Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return new PortalSession(client, user);
    }
}

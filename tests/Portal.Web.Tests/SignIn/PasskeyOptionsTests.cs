using System.Net;
using System.Text.Json;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.SignIn;

/// <summary>
/// The passkey options endpoints refuse a stale page with a 400 whose problem body says what to do. Before, the bare
/// 400 was re-executed by the status pages as a POST of the error page, which threw on a body that is not a form, and
/// the sign-in page's script showed "The portal refused (500)".
/// </summary>
public sealed class PasskeyOptionsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task A_token_from_before_signing_in_gets_a_400_that_says_to_reload_not_a_500()
    {
        string name = TestNames.Unique("stale");
        await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient client = portal.CreatePortalClient();
        // The sign-in page as an anonymous visitor, then a sign-in in "another tab": the page's token is for nobody.
        string anonymousToken = await client.GetAntiforgeryTokenAsync("/account/login");
        using HttpResponseMessage _ = await client.LoginAsync(name, TestNames.Password);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/account/passkey/request-options");
        request.Headers.Add("RequestVerificationToken", anonymousToken);
        using HttpResponseMessage response = await client.Http.SendAsync(request);

        await AssertStaleAsync(response);
    }

    [Fact]
    public async Task No_token_at_all_gets_the_same_400_on_both_endpoints()
    {
        using PortalClient client = portal.CreatePortalClient();
        foreach (string path in new[] { "/account/passkey/request-options", "/account/passkey/request-options?step=second-factor" })
        {
            using HttpResponseMessage response = await client.Http.PostAsync(path, content: null);
            await AssertStaleAsync(response);
        }
    }

    private static async Task AssertStaleAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("reload it", problem.RootElement.GetProperty("title").GetString(), StringComparison.Ordinal);
    }
}

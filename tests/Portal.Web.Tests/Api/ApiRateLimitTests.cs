using System.Net;
using Portal.Api.Contracts;

namespace Portal.Web.Tests.Api;

/// <summary>A portal whose API allows two requests at once and one more per second, per token.</summary>
public sealed class StrictRateLimitPortal : ApiPortalFactory
{
    protected override int RequestsPerSecond => 1;

    protected override int Burst => 2;
}

public sealed class ApiRateLimitTests(StrictRateLimitPortal portal) : IClassFixture<StrictRateLimitPortal>
{
    [Fact]
    public async Task A_token_past_its_rate_gets_429_with_Retry_After_and_other_tokens_are_unaffected()
    {
        var accounts = await portal.AccountsAsync();
        using var busy = portal.ApiClient(await portal.TokenAsync(accounts.Alice, ApiScopes.JobsRead));
        using var other = portal.ApiClient(await portal.TokenAsync(accounts.Alice, ApiScopes.JobsRead));

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 10 && limited is null; i++)
        {
            var response = await busy.GetAsync("/api/v1/quota");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        using (limited)
        {
            await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests);
            Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {limited.Headers.RetryAfter}");
        }

        Assert.Equal(HttpStatusCode.OK, statuses[0]);
        using var unaffected = await other.GetAsync("/api/v1/quota");
        Assert.Equal(HttpStatusCode.OK, unaffected.StatusCode);
    }
}

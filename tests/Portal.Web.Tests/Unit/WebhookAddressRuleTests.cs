using System.Net;
using Portal.Web.Services.Notifications;

namespace Portal.Web.Tests.Unit;

public sealed class WebhookAddressRuleTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("fe80::1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.20.0.1")]
    [InlineData("192.168.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("fd00::1")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    public void A_loopback_link_local_private_or_reserved_address_is_refused_by_default(string address)
    {
        Assert.False(new WebhookAddressRule([]).Allows(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("2606:2800:21f:cb07:6820:80da:af6b:8b2c")]
    public void A_public_address_is_allowed(string address)
    {
        Assert.True(new WebhookAddressRule([]).Allows(IPAddress.Parse(address)));
    }

    [Fact]
    public void An_address_or_network_the_administrator_lists_is_allowed_and_nothing_beside_it()
    {
        var rule = new WebhookAddressRule(["127.0.0.1", "10.1.2.0/24"]);

        Assert.True(rule.Allows(IPAddress.Parse("127.0.0.1")));
        Assert.True(rule.Allows(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.True(rule.Allows(IPAddress.Parse("10.1.2.200")));
        Assert.False(rule.Allows(IPAddress.Parse("127.0.0.2")));
        Assert.False(rule.Allows(IPAddress.Parse("10.1.3.1")));
        Assert.False(rule.Allows(IPAddress.Parse("::1")));
    }

    [Theory]
    [InlineData("ftp://example.org/hook", "absolute http:// or https://")]
    [InlineData("/relative", "absolute http:// or https://")]
    [InlineData("https://user:pw@example.org/hook", "user name or password")]
    [InlineData("http://127.0.0.1:9/hook", "127.0.0.1, a loopback")]
    [InlineData("http://localhost:9/hook", "a loopback, link-local, private or reserved address")]
    [InlineData("http://[::1]/hook", "::1, a loopback")]
    public async Task A_webhook_address_a_user_gives_is_checked_with_a_reason(string url, string reason)
    {
        var refused = await new WebhookAddressRule([]).CheckUrlAsync(url, CancellationToken.None);

        Assert.NotNull(refused);
        Assert.Contains(reason, refused, StringComparison.Ordinal);
    }
}

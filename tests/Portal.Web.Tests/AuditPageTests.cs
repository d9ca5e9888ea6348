using System.Net;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests;

public sealed class AuditPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Audit_page_filters_by_action_and_actor()
    {
        string victim = TestNames.Unique("typo");
        await portal.CreateUserAsync(victim, TestNames.Password);
        using (PortalClient attempt = portal.CreatePortalClient())
        {
            using HttpResponseMessage _ = await attempt.LoginAsync(victim, "wrong-password");
        }

        string adminName = TestNames.Unique("auditor");
        await portal.CreateUserAsync(adminName, TestNames.Password, admin: true);
        using PortalClient admin = portal.CreatePortalClient();
        using HttpResponseMessage __ = await admin.LoginAsync(adminName, TestNames.Password);

        string failures = await admin.PageAsync("/admin/audit?action=login.failure");
        string ofAdmin = await admin.PageAsync($"/admin/audit?actor={adminName}");

        Assert.Contains(victim, failures, StringComparison.Ordinal);
        Assert.DoesNotContain("<td>login.success</td>", failures, StringComparison.Ordinal);
        Assert.Contains("<td>login.success</td>", ofAdmin, StringComparison.Ordinal);
        Assert.DoesNotContain(victim, ofAdmin, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_page_ignores_garbage_filters_without_failing()
    {
        string adminName = TestNames.Unique("auditor");
        await portal.CreateUserAsync(adminName, TestNames.Password, admin: true);
        using PortalClient admin = portal.CreatePortalClient();
        using HttpResponseMessage _ = await admin.LoginAsync(adminName, TestNames.Password);

        using HttpResponseMessage response = await admin.Http.GetAsync("/admin/audit?action=%27%3B+drop+table&actor=%00&from=2026-01-01&to=2026-12-31");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

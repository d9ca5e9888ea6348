using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Jobs;
using Portal.Data.Entities;
using Portal.Data.Jobs;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Pages;

public sealed class AccountingExportTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Csv_has_gpu_seconds_per_user_per_day_with_a_job_split_at_midnight_and_its_cgroup_figures_on_the_day_it_ended()
    {
        PortalUser owner = await portal.CreateUserAsync(TestNames.Unique("csv"), TestNames.Password, linuxUser: "ptest-csv");
        string gpu = await portal.AddGpuAsync();
        long job = await portal.RunningJobAsync(owner.Id, gpu);
        JobChangeResult finished = await portal.Services.GetRequiredService<JobStore>().FinishAsync(job, JobState.Succeeded, 0, usage: new JobResourceUsage(90.4, 48L << 20, 0));
        Assert.True(finished.Applied, finished.Message);
        // Move the job to a known past: 23:00 to 01:00 UTC across New Year's night.
        await portal.WithDbAsync(async db =>
        {
            await db.Database.ExecuteSqlAsync($"""
                UPDATE "Jobs" SET "SubmittedAt" = '2025-12-31T22:00:00Z', "StartedAt" = '2025-12-31T23:00:00Z',
                                  "FinishedAt" = '2026-01-01T01:00:00Z', "GpuSeconds" = 7200 WHERE "Id" = {job}
                """);
            return await db.Database.ExecuteSqlAsync($"""
                UPDATE "GpuAllocations" SET "AllocatedAt" = '2025-12-31T23:00:00Z', "ReleasedAt" = '2026-01-01T01:00:00Z' WHERE "JobId" = {job}
                """);
        });
        using PortalSession admin = await portal.SignInNewAsync("csv-admin", admin: true);

        using HttpResponseMessage response = await admin.Client.Http.GetAsync("/admin/usage.csv?from=2025-12-31&to=2026-01-01");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("gpu-usage-2025-12-31-to-2026-01-01.csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal(
            "day,user,gpu_seconds,gpu_hours,cpu_seconds,peak_memory_mib,oom_kills\n2025-12-31,ptest-csv,3600,1,0,,0\n2026-01-01,ptest-csv,3600,1,90,48,0\n",
            await response.Content.ReadAsStringAsync());

        using HttpResponseMessage oneDay = await admin.Client.Http.GetAsync("/admin/usage.csv?from=2026-01-01&to=2026-01-01");
        Assert.Equal("day,user,gpu_seconds,gpu_hours,cpu_seconds,peak_memory_mib,oom_kills\n2026-01-01,ptest-csv,3600,1,90,48,0\n",
            await oneDay.Content.ReadAsStringAsync());

        string page = WebUtility.HtmlDecode(await admin.Client.PageAsync("/admin/usage?from=2025-12-31&to=2026-01-01"));
        Assert.Contains("<td><code>ptest-csv</code></td><td>2.00</td><td>2</td>", page, StringComparison.Ordinal);
        Assert.Contains("href=\"/admin/usage.csv?from=2025-12-31&to=2026-01-01\"", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "Give both 'from' and 'to' as yyyy-MM-dd (UTC days, both included).")]
    [InlineData("?from=2026-01-01", "Give both 'from' and 'to' as yyyy-MM-dd (UTC days, both included).")]
    [InlineData("?from=01/02/2026&to=2026-01-03", "'from' is '01/02/2026'; write it as yyyy-MM-dd, e.g. 2026-11-01.")]
    [InlineData("?from=2026-02-01&to=2026-01-01", "'to' (2026-01-01) is before 'from' (2026-02-01).")]
    [InlineData("?from=2000-01-01&to=2026-01-01", "The range covers 9498 days; ask for at most 3660 at a time.")]
    public async Task Bad_ranges_get_400_with_the_reason(string query, string message)
    {
        using PortalSession admin = await portal.SignInNewAsync("csv-admin", admin: true);

        using HttpResponseMessage response = await admin.Client.Http.GetAsync("/admin/usage.csv" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(message, body);
    }

    [Fact]
    public async Task Plain_user_and_anonymous_visitor_get_no_report()
    {
        using PortalSession user = await portal.SignInNewAsync("csv-user");
        using PortalClient anonymous = portal.CreatePortalClient();

        using HttpResponseMessage forbidden = await user.Client.Http.GetAsync("/admin/usage.csv?from=2026-01-01&to=2026-01-02");
        using HttpResponseMessage redirected = await anonymous.Http.GetAsync("/admin/usage.csv?from=2026-01-01&to=2026-01-02");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.DoesNotContain("day,user", await forbidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, redirected.StatusCode);
        Assert.StartsWith("/account/login", redirected.RedirectPath(), StringComparison.Ordinal);
    }
}

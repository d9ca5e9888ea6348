using Portal.Web.Services.Gpus;

namespace Portal.Web.Tests.Unit;

/// <summary>The portal finds the launcher's job cgroups in /proc/&lt;pid&gt;/cgroup, as the launcher itself does.</summary>
public sealed class JobCgroupTests
{
    [Theory]
    [InlineData("0::/portal/user-1001/job-42\n", "/portal/user-1001/job-42")]
    [InlineData("12:devices:/portal/user-1001/job-42/libpod-abc\n0::/portal/user-1001/job-42\n", "/portal/user-1001/job-42/libpod-abc")]
    [InlineData("0::/system.slice/portal-jobs.service/user-1001/job-7\n", "/system.slice/portal-jobs.service/user-1001/job-7")]
    public void A_process_in_a_job_cgroup_is_found(string file, string path) => Assert.Equal(path, JobCgroup.Find(file));

    [Theory]
    [InlineData("0::/user.slice/user-1001.slice/session-3.scope\n")]
    [InlineData("0::/portal/user-1001/calls\n")]
    [InlineData("0::/portal/user-bob/job-1\n")]
    [InlineData("0::/\n")]
    public void A_process_outside_jobs_is_not(string file) => Assert.Null(JobCgroup.Find(file));
}

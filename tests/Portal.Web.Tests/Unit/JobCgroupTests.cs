using Portal.Core.Gpus;

namespace Portal.Web.Tests.Unit;

/// <summary>The portal finds the launcher's job cgroups in /proc/&lt;pid&gt;/cgroup as the launcher itself does: under
/// the policy's parent only, so a cgroup a user names "user-N/job-M" in their own delegated subtree spares nothing.</summary>
public sealed class JobCgroupTests
{
    [Theory]
    [InlineData("0::/portal/user-1001/job-42\n", "portal", "/portal/user-1001/job-42")]
    [InlineData("12:devices:/portal/user-1001/job-42/libpod-abc\n0::/portal/user-1001/job-42\n", "portal", "/portal/user-1001/job-42/libpod-abc")]
    [InlineData("0::/system.slice/portal-jobs.service/user-1001/job-7\n", "system.slice/portal-jobs.service", "/system.slice/portal-jobs.service/user-1001/job-7")]
    public void A_process_in_a_job_cgroup_is_found(string file, string parent, string path) => Assert.Equal(path, JobCgroupPath.Find(file, parent));

    [Theory]
    [InlineData("0::/user.slice/user-1001.slice/session-3.scope\n")]
    [InlineData("0::/portal/user-1001/calls\n")]
    [InlineData("0::/portal/user-bob/job-1\n")]
    [InlineData("0::/\n")]
    // Look-alikes a user can make in the subtree systemd delegates to them, or elsewhere.
    [InlineData("0::/user.slice/user-1001.slice/user@1001.service/app.slice/user-1001/job-5\n")]
    [InlineData("0::/user.slice/user-1001.slice/user@1001.service/portal/user-1001/job-5\n")]
    [InlineData("0::/portalx/user-1001/job-5\n")]
    public void A_process_outside_jobs_is_not(string file) => Assert.Null(JobCgroupPath.Find(file, "portal"));

    [Theory]
    [InlineData("0::/portal/user-1001/job-42\n", 42L)]
    [InlineData("12:devices:/portal/user-1001/job-42\n0::/portal/user-1001/job-42/owner/podman\n", 42L)]
    // A key that is no job id, or a look-alike outside the parent, names no job.
    [InlineData("0::/portal/user-1001/job-bench\n", null)]
    [InlineData("0::/user.slice/user-1001.slice/user@1001.service/portal/user-1001/job-42\n", null)]
    public void A_process_belongs_to_the_job_of_its_cgroup_only_under_the_parent(string file, long? job) =>
        Assert.Equal(job, JobCgroupPath.JobId(file, "portal"));
}

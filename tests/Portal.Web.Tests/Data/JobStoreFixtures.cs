using Portal.Core.Jobs;
using Portal.Data.Jobs;
using Portal.Launcher.Protocol;

namespace Portal.Web.Tests.Data;

/// <summary>Requests and submissions the job store tests share.</summary>
public static class JobStoreFixtures
{
    public static JobSpec Spec(int gpus = 1, string name = "train") => new()
    {
        Name = name,
        Image = "localhost/busybox:latest",
        Command = ["sh", "-c", "echo hi"],
        Gpus = GpuRequest.Any(gpus),
        Cpus = 2,
        MemoryMiB = 2048,
        Walltime = TimeSpan.FromHours(1),
    };

    public static JobSubmission Submission(Guid owner, JobSpec spec, bool isAdmin = false) =>
        new(owner, spec, isAdmin, [new MountRoot("/home", ReadOnly: false)]);

    public static async Task<long> SubmitAsync(JobStore store, Guid owner, JobSpec spec, bool isAdmin = false)
    {
        var result = await store.SubmitAsync(Submission(owner, spec, isAdmin));
        Assert.True(result.Accepted, string.Join("; ", result.Errors.Select(e => $"{e.Field}: {e.Message}")));
        return result.JobId!.Value;
    }
}

using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// A sample of the generated jobs of PortalLauncherAgreementTests, accepted by the portal's validator, through the
/// real launcher binary and podman: each starts (and is removed again).
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class ValidRequestSampleTests(LauncherFixture f)
{
    private const int Sample = 6;

    [Fact]
    public async Task Generated_jobs_the_portal_accepts_start_through_the_real_launcher()
    {
        var world = new JobWorld(
            [new MountRoot(f.Alice.Home, false), new MountRoot(LauncherFixture.ProjectsRoot, false), new MountRoot(LauncherFixture.DatasetsRoot, true)],
            ["0", "1"], MaxCpus: Environment.ProcessorCount, MaxMemoryMiB: 65536, RunnableOn: LauncherFixture.Image);
        var submitter = new JobSubmitContext(
            IsAdmin: false,
            new EffectiveQuota(2, 4, 10, 1000, TimeSpan.FromDays(7), TimeSpan.FromDays(1), world.MaxCpus, world.MaxMemoryMiB),
            QueuedJobsOfOwner: 0, world.Roots, world.GpuIds);
        var jobs = new ValidJobs(seed: 42, world);
        int started = 0;
        while (started < Sample)
        {
            GeneratedJob job = jobs.Next();
            if (JobSpecValidator.Validate(job.Spec, submitter).Count > 0)
            {
                continue;
            }

            string key = LauncherRunner.NewJob();
            var request = new LauncherRequest
            {
                Version = LauncherProtocol.Version, Verb = LauncherVerbs.Run, User = f.Alice.Name, Job = key, Run = job.Spec.ToRunSpec(long.MaxValue, job.Gpus),
            };
            try
            {
                LauncherCall call = await LauncherRunner.RunAsync(f,
                    System.Text.Json.JsonSerializer.Serialize(request, LauncherJsonContext.Default.LauncherRequest));

                Assert.True(call.ExitCode == 0, $"sample {started}: {call}");
            }
            finally
            {
                await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, key));
            }

            started++;
        }
    }
}

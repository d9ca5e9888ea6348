using System.Text.Json;
using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Tests.Unit;

/// <summary>
/// The property behind one rulebook: whatever the portal's validator accepts, the launcher's accepts, for the request
/// exactly as the portal's client would send it. Thousands of generated jobs, in-process; a sample of them also runs
/// through the real binary and podman (ValidRequestSampleTests).
/// </summary>
public sealed class PortalLauncherAgreementTests
{
    private const int Cases = 2000;

    private static readonly JobWorld World = new(
        [new MountRoot("/home/alice", ReadOnly: false), new MountRoot("/srv/projects", ReadOnly: false), new MountRoot("/srv/datasets", ReadOnly: true)],
        ["GPU-00000000-0000-0000-0000-000000000000", "GPU-11111111-1111-1111-1111-111111111111", "MIG-2a2a2a2a-2a2a-2a2a-2a2a-2a2a2a2a2a2a"],
        MaxCpus: 8, MaxMemoryMiB: 65536);

    /// <summary>The portal's side of <see cref="World"/>: its quota matches the policy's maximums.</summary>
    private static readonly JobSubmitContext Submitter = new(
        IsAdmin: false,
        new EffectiveQuota(MaxConcurrentGpus: 3, MaxConcurrentJobs: 4, MaxQueuedJobs: 10, GpuHoursPerWindow: 1000, Window: TimeSpan.FromDays(7),
            MaxWalltime: TimeSpan.FromDays(1), MaxCpusPerJob: World.MaxCpus, MaxMemoryMiBPerJob: World.MaxMemoryMiB),
        QueuedJobsOfOwner: 0, World.Roots, World.GpuIds);

    /// <summary>The launcher's side of <see cref="World"/>.</summary>
    private static readonly LauncherPolicy Policy = RequestValidatorTests.Policy with
    {
        MaxCpus = World.MaxCpus,
        MaxMemoryMiB = World.MaxMemoryMiB,
        Gpus = [.. World.GpuIds.Select((id, i) => new PolicyGpu { Id = id, Node = $"/dev/nvidia{i}" })],
        MountRoots =
        [
            new PolicyMountRoot { UserHome = true },
            new PolicyMountRoot { Path = "/srv/projects" },
            new PolicyMountRoot { Path = "/srv/datasets", ReadOnly = true },
        ],
        Sessions = new SessionPolicy { Dir = "/run/portal-sessions", Group = "portal-proxy", Bridge = "/usr/libexec/portal/sockbridge" },
    };

    [Fact]
    public void Every_generated_job_the_portal_accepts_the_launcher_accepts_as_sent()
    {
        var jobs = new ValidJobs(seed: 20261201, World);
        int accepted = 0;
        for (int i = 0; i < Cases; i++)
        {
            GeneratedJob job = jobs.Next();
            if (JobSpecValidator.Validate(job.Spec, Submitter).Count > 0)
            {
                continue;
            }

            accepted++;
            string? refusal = LauncherRefusal(job);
            Assert.True(refusal is null, $"case {i}: the portal accepted what the launcher refuses: {refusal}\n{JsonSerializer.Serialize(job.Spec)}");
        }

        // The generator aims at the edges, but most of what it makes must be valid, or the property says little.
        Assert.True(accepted >= Cases / 2, $"only {accepted} of {Cases} generated jobs were valid");
    }

    /// <summary>What the launcher says to the request the portal's client would send for <paramref name="job"/>, or null.</summary>
    private static string? LauncherRefusal(GeneratedJob job)
    {
        var request = new LauncherRequest
        {
            Version = LauncherProtocol.Version,
            Verb = LauncherVerbs.Run,
            User = "alice",
            Job = JobKeys.Format(long.MaxValue),
            Run = job.Spec.ToRunSpec(long.MaxValue, job.Gpus),
        };

        // As ProcessLauncher writes it: one line.
        byte[] sent = [.. JsonSerializer.SerializeToUtf8Bytes(request, LauncherJsonContext.Default.LauncherRequest), (byte)'\n'];
        if (sent.Length > LauncherProtocol.MaxRequestBytes)
        {
            return $"{sent.Length} bytes";
        }

        try
        {
            LauncherRequest read = JsonSerializer.Deserialize(sent, LauncherJsonContext.Default.LauncherRequest)!;
            RequestValidator.Validate(read, Policy);
            MountRoot[] roots = [.. Policy.MountRoots.Select(r => r.For("/home/alice")).OfType<MountRoot>()];
            return read.Run!.Mounts?.FirstOrDefault(m => MountRoot.Holding(roots, m.Source) is null) is { } outside
                ? $"mount source {outside.Source} outside the policy's roots"
                : null;
        }
        catch (Exception e) when (e is RequestRefusedException or JsonException)
        {
            return e.Message;
        }
    }
}

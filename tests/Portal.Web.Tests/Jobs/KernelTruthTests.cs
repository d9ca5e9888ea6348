using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Portal.Core.Jobs;

namespace Portal.Web.Tests.Jobs;

/// <summary>
/// The job host believes the kernel, not podman: a job whose cgroup holds processes runs, whatever podman's database
/// says, and its GPUs go back only once its cgroup is empty. Real launcher, real podman, throwaway users.
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class KernelTruthTests(JobHostFixture fixture)
{
    private const string AuditLog = "/var/log/portal-web-test/audit.log";

    [Fact]
    public async Task AJobWhoseOwnersPodmanDatabaseIsHidden_StaysRunningWithItsGpu_AndEndsNormallyOnceItIsBack()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 1);
        t.StartPortal();
        var id = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sh", "-c", "until [ -e /tmp/done ]; do sleep 0.2; done"], gpus: 1));
        var running = await t.WaitForStateAsync(id, JobState.Running);
        var database = Path.Combine(fixture.Alice.Home, ".local/share/containers/storage/libpod/bolt_state.db");
        Assert.True(File.Exists(database), database);
        var hiddenAt = DateTimeOffset.UtcNow;

        File.Move(database, database + ".pweb-hidden");
        try
        {
            // Watches (every 0.5 s) and at least one reconciliation (every 3 s) in which podman lists nothing of Alice's.
            await Eventually.UntilAsync(() => Task.FromResult(EmptyListsSince(fixture.Alice, hiddenAt)), n => n >= 10,
                TimeSpan.FromSeconds(90), "the portal to list Alice's jobs several times while podman knows none");

            Assert.Equal(JobState.Running, (await t.RowAsync(id)).State);
            Assert.Equal([(running.AssignedGpuUuids.Single(), id)], await t.HeldGpusAsync());
        }
        finally
        {
            File.Move(database + ".pweb-hidden", database, overwrite: true);
        }

        var done = await JobHostFixture.PodmanAsync(fixture.Alice, "exec", "portal-job-" + JobRunnerTests.Key(id), "touch", "/tmp/done");
        Assert.True(done.ExitCode == 0, done.ToString());
        var ended = await t.WaitForStateAsync(id, JobState.Succeeded);
        Assert.Equal(0, ended.ExitCode);
        Assert.Empty(await t.HeldGpusAsync());
    }

    [Fact]
    public async Task AProcessLeftInTheJobsCgroupAfterItsCommandEnded_KeepsTheJobAndItsGpu_UntilTheLauncherHasKilledIt()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 1);
        t.StartPortal();
        var id = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sh", "-c", "until [ -e /tmp/done ]; do sleep 0.2; done; exit 3"], gpus: 1));
        var running = await t.WaitForStateAsync(id, JobState.Running);
        // A process of Alice's in the job's cgroup that podman knows nothing of (as one that daemonized out of the
        // container's reach, or a stuck conmon, would be).
        using var leftover = StartAs(fixture.Alice, "sleep", "600");
        try
        {
            CgroupTree.Join(fixture.Alice.Uid, JobRunnerTests.Key(id), leftover.Id);
            // The portal's stop of the job waits in podman until the test has looked.
            JobHostFixture.HoldStops(id);
            try
            {
                var done = await JobHostFixture.PodmanAsync(fixture.Alice, "exec", "portal-job-" + JobRunnerTests.Key(id), "touch", "/tmp/done");
                Assert.True(done.ExitCode == 0, done.ToString());
                await Eventually.UntilAsync(() => Task.FromResult(JobHostFixture.HeldStops(id)), n => n >= 1,
                    TimeSpan.FromSeconds(60), "the portal to stop what the job left in its cgroup");

                Assert.Equal("exited", await ContainerStatusAsync(fixture.Alice, id));
                Assert.Equal(JobState.Running, (await t.RowAsync(id)).State);
                Assert.Equal([(running.AssignedGpuUuids.Single(), id)], await t.HeldGpusAsync());
                Assert.False(leftover.HasExited, "the leftover process ended before the portal's stop");
            }
            finally
            {
                JobHostFixture.ReleaseStopHold(id);
            }

            var ended = await t.WaitForStateAsync(id, JobState.Failed);
            Assert.Equal(3, ended.ExitCode);
            Assert.True(leftover.WaitForExit(TimeSpan.FromSeconds(10)), "the leftover process survived the job's end");
            Assert.Empty(await t.HeldGpusAsync());
        }
        finally
        {
            if (!leftover.HasExited)
            {
                leftover.Kill();
            }
        }
    }

    /// <summary>How many <c>list</c> calls for <paramref name="user"/> since <paramref name="since"/> the launcher's audit
    /// log records as done with podman listing no job of the user.</summary>
    private static int EmptyListsSince(JobTestUser user, DateTimeOffset since) =>
        File.ReadLines(AuditLog).Count(line =>
        {
            try
            {
                using var record = JsonDocument.Parse(line);
                var r = record.RootElement;
                return r.GetProperty("verb").GetString() == "list"
                    && r.TryGetProperty("user", out var u) && u.GetString() == user.Name
                    && r.GetProperty("decision").GetString() == "done"
                    && r.GetProperty("detail").GetString() == "listed 0"
                    && r.GetProperty("time").GetDateTimeOffset() >= since;
            }
            catch (JsonException)
            {
                // A line the launcher is still writing; the next look reads it whole.
                return false;
            }
        });

    private static async Task<string> ContainerStatusAsync(JobTestUser user, long id) =>
        (await JobHostFixture.PodmanAsync(user, "inspect", "--format", "{{.State.Status}}", "portal-job-" + JobRunnerTests.Key(id))).Stdout.Trim();

    private static Process StartAs(JobTestUser user, params string[] command)
    {
        var psi = new ProcessStartInfo("/usr/bin/setpriv") { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var arg in new[] { "--reuid", user.Uid.ToString(CultureInfo.InvariantCulture), "--regid", user.Gid.ToString(CultureInfo.InvariantCulture), "--init-groups", "--" }.Concat(command))
        {
            psi.ArgumentList.Add(arg);
        }

        return Process.Start(psi)!;
    }
}

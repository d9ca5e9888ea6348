using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api.Contracts;
using Portal.Core.Slurm;
using Portal.Slurm.Tests.Infrastructure;
using Portal.Web.Services.Slurm;

namespace Portal.Slurm.Tests.Portal;

/// <summary>
/// Through the portal (its REST API, as the CLI uses it) with <c>Portal:Backend</c> = slurm, as throwaway users,
/// against the real local cluster: jobs become Slurm jobs of their owners, and the portal shows what Slurm says.
/// </summary>
[Collection(SlurmHostGroup.Name)]
public sealed class SlurmPortalTests(SlurmHost host)
{
    private static string Sleep(long seconds) => "exec sleep " + seconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>A sleep no other container of the run uses, to find this job's process on the host.</summary>
    private static long UniqueSleep() => 700_000 + Random.Shared.Next(100_000);

    [Fact]
    public async Task ASubmittedJob_RunsAsASlurmJobOfItsOwner_AndThePortalShowsSlurmsFactsAndTheLiveLog()
    {
        await using var world = await SlurmWorld.CreateAsync(host);
        using var alice = await world.ClientAsync(host.Alice);
        var sleep = UniqueSleep();

        var id = await SlurmWorld.SubmitAsync(alice, SlurmWorld.Request(["sh", "-c", $"echo hello from $CUDA_VISIBLE_DEVICES; {Sleep(sleep)}"], gpus: 1));
        var job = await SlurmWorld.WaitForAsync(alice, id, j => j.State == JobStates.Running, "to run");

        Assert.Equal(("slurm", "RUNNING", LocalSlurmCluster.NodeName), (job.Backend!.Kind, job.Backend.State, job.Backend.Nodes));
        var slurmJob = await SlurmJobs.ReadAsync(long.Parse(job.Backend.JobId!, CultureInfo.InvariantCulture));
        Assert.Equal((host.Alice.Uid, "portal-" + id.ToString(CultureInfo.InvariantCulture)), (slurmJob!.Uid, slurmJob.Name));
        Assert.Equal([$"{LocalSlurmCluster.NodeName}/gpu0"], job.AssignedGpus);

        // The live log, as `portal logs -f` reads it: the first line arrives while the job still runs.
        using var logs = await alice.GetAsync($"/api/v1/jobs/{id}/logs?follow=true", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await logs.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal("hello from 0", await reader.ReadLineAsync(timeout.Token));
        // Slurm says RUNNING once the batch script starts, before podman has the container up; after its first line
        // the container's process runs (rootless: root inside, the owner's uid outside) on the host.
        Assert.NotEmpty(SlurmJobs.ProcessesOf(host.Alice.Uid, "sleep " + sleep.ToString(CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task AThirdGpuJob_WaitsForResources_WithSlurmsOwnWordBesideThePortalsReason()
    {
        await using var world = await SlurmWorld.CreateAsync(host);
        using var alice = await world.ClientAsync(host.Alice);
        using var bob = await world.ClientAsync(host.Bob);
        var first = await SlurmWorld.SubmitAsync(alice, SlurmWorld.Request(["sh", "-c", Sleep(UniqueSleep())], gpus: 1));
        var second = await SlurmWorld.SubmitAsync(bob, SlurmWorld.Request(["sh", "-c", Sleep(UniqueSleep())], gpus: 1));
        await SlurmWorld.WaitForAsync(alice, first, j => j.State == JobStates.Running, "to run");
        await SlurmWorld.WaitForAsync(bob, second, j => j.State == JobStates.Running, "to run");

        var third = await SlurmWorld.SubmitAsync(alice, SlurmWorld.Request(["true"], gpus: 1));
        var job = await SlurmWorld.WaitForAsync(alice, third, j => j.Backend?.Reason == "Resources", "to wait for Resources");

        Assert.Equal((JobStates.Queued, "Resources", "PENDING"), (job.State, job.PendingReason, job.Backend!.State));
        Assert.Equal("waiting for free GPUs (Slurm: Resources)", job.PendingReasonText);
        Assert.NotNull(job.Backend.JobId);
    }

    [Fact]
    public async Task CancellingARunningJob_EndsItsSlurmJob_AndAnotherUserCanNeitherSeeNorCancelIt()
    {
        await using var world = await SlurmWorld.CreateAsync(host);
        using var alice = await world.ClientAsync(host.Alice);
        using var bob = await world.ClientAsync(host.Bob);
        var sleep = UniqueSleep();
        var id = await SlurmWorld.SubmitAsync(alice, SlurmWorld.Request(["sh", "-c", Sleep(sleep)]));
        var running = await SlurmWorld.WaitForAsync(alice, id, j => j.State == JobStates.Running, "to run");
        var slurmId = long.Parse(running.Backend!.JobId!, CultureInfo.InvariantCulture);

        using var bobReads = await bob.GetAsync($"/api/v1/jobs/{id}");
        using var bobCancels = await bob.PostAsync($"/api/v1/jobs/{id}/cancel", null);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (bobReads.StatusCode, bobCancels.StatusCode));
        Assert.Equal("RUNNING", (await SlurmJobs.ReadAsync(slurmId))!.State);

        using var cancelled = await alice.PostAsync($"/api/v1/jobs/{id}/cancel", null);

        Assert.True(cancelled.IsSuccessStatusCode, await cancelled.Content.ReadAsStringAsync());
        Assert.Equal(JobStates.Cancelled, (await SlurmWorld.JobAsync(alice, id)).State);
        await SlurmJobs.WaitForStateAsync(slurmId, "CANCELLED");
        await LocalSlurmCluster.WaitForAsync(() => Task.FromResult(SlurmJobs.ProcessesOf(host.Alice.Uid, "sleep " + sleep.ToString(CultureInfo.InvariantCulture)).Count == 0),
            TimeSpan.FromSeconds(60), "the container to end");
    }

    [Fact]
    public async Task APortalRestartedMidJob_AdoptsItsSlurmJob_AndRecordsHowItEnds()
    {
        await using var world = await SlurmWorld.CreateAsync(host);
        using (var before = await world.ClientAsync(host.Alice))
        {
            var started = DateTime.UtcNow;
            var id = await SlurmWorld.SubmitAsync(before, SlurmWorld.Request(["sh", "-c", "echo working; sleep 8; exit 3"]));
            await SlurmWorld.WaitForAsync(before, id, j => j.State == JobStates.Running, "to run");

            await world.StopPortalAsync();
            world.StartPortal();

            using var after = await world.ClientAsync(host.Alice);
            var job = await SlurmWorld.WaitForAsync(after, id, j => j.State is JobStates.Failed, "to end");
            Assert.Equal(3, job.ExitCode);
            // Slurm's word for a batch script that exits non-zero (as recorded from Slurm 22.05 in the Core tests' data).
            Assert.Equal("FAILED", job.Backend!.State);
            // An exit code is recorded as on one box; Slurm's own word is the backend state above.
            Assert.Contains(job.History, h => h.State == JobStates.Failed && h.Detail == "exit code 3");
            Assert.True(job.FinishedAt > job.StartedAt && job.StartedAt > started.AddSeconds(-2));
        }
    }

    [Fact]
    public async Task WhatSlurmRefuses_FailsTheJobWithSlurmsWords_AndTooManyGpusAreRefusedAtSubmit()
    {
        await using var world = await SlurmWorld.CreateAsync(host);
        using var alice = await world.ClientAsync(host.Alice);

        using var tooMany = await alice.PostAsync("/api/v1/jobs", System.Net.Http.Json.JsonContent.Create(
            SlurmWorld.Request(["true"], gpus: LocalSlurmCluster.Gpus + 1), ApiJsonContext.Default.SubmitJobRequest));
        var refused = await SlurmWorld.SubmitAsync(alice, SlurmWorld.Request(["true"], memoryMiB: 64_000));
        var job = await SlurmWorld.WaitForAsync(alice, refused, j => j.State == JobStates.Failed, "to fail");

        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("the cluster's largest node has 2", await tooMany.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(job.StartedAt);
        // More memory than any node has: sbatch refuses it, in Slurm's words.
        Assert.Contains(job.History, h => h.Detail?.StartsWith("Slurm refused the job: sbatch failed:", StringComparison.Ordinal) == true
            && h.Detail.Contains("Batch job submission failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ABooking_IsRefusedOnACluster_NamingASlurmReservationInstead()
    {
        await using var world = await SlurmWorld.CreateAsync(host);
        using var alice = await world.ClientAsync(host.Alice);
        var tomorrow = DateTimeOffset.UtcNow.Date.AddDays(1);

        using var response = await alice.PostAsync("/api/v1/bookings", System.Net.Http.Json.JsonContent.Create(
            new CreateBookingRequest { Gpus = 1, Start = tomorrow.AddHours(9), End = tomorrow.AddHours(18) }, ApiJsonContext.Default.CreateBookingRequest));
        using var list = await alice.GetAsync("/api/v1/bookings");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("scontrol create reservation", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty((await list.Content.ReadFromJsonAsync(ApiJsonContext.Default.BookingListResponse))!.Items);
    }

    [Fact]
    public async Task AKilledSlurmd_ShowsAsADownNode_AndItsRunningJobIsLost()
    {
        await using var world = await SlurmWorld.CreateAsync(host);
        using var alice = await world.ClientAsync(host.Alice);
        var monitor = world.Portal.Services.GetRequiredService<ClusterMonitor>();
        var id = await SlurmWorld.SubmitAsync(alice, SlurmWorld.Request(["sh", "-c", Sleep(UniqueSleep())]));
        await SlurmWorld.WaitForAsync(alice, id, j => j.State == JobStates.Running, "to run");
        Assert.Equal(SlurmNodeHealth.Up, Assert.Single((await monitor.RefreshAsync(CancellationToken.None)).Nodes).Health);

        await LocalSlurmCluster.KillSlurmdAsync();
        try
        {
            await LocalSlurmCluster.WaitForAsync(async () => (await monitor.RefreshAsync(CancellationToken.None)).Nodes.Single().Health == SlurmNodeHealth.Down,
                TimeSpan.FromSeconds(120), "the node to show as down");
            var job = await SlurmWorld.WaitForAsync(alice, id, j => j.State == JobStates.Lost, "to be lost", TimeSpan.FromSeconds(120));

            Assert.Equal("NODE_FAIL", job.Backend!.State);
            Assert.Contains(job.History, h => h.Detail == $"Slurm: NODE_FAIL, node {LocalSlurmCluster.NodeName} failed");
            // slurmctld gives the reason when it sets the node DOWN, which can come after it first shows as not
            // responding ("idle*"); the board shows it from the next sinfo on.
            await LocalSlurmCluster.WaitForAsync(
                async () => ((await monitor.RefreshAsync(CancellationToken.None)).Nodes.Single().Reason ?? "").Contains("Not responding", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60), "the node's reason to say it is not responding");
        }
        finally
        {
            await LocalSlurmCluster.StartSlurmdAsync();
        }
    }
}

using Portal.Core.Jobs;
using Portal.Core.Slurm;

namespace Portal.Core.Tests.Slurm;

/// <summary>The parsers against output recorded from Slurm 22.05 (TestData/slurm/README.md says how).</summary>
public sealed class SlurmOutputTests
{
    private static string Capture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "slurm", name));

    [Fact]
    public void Squeue_ReadsEveryJob_WithItsStateReasonNodeAndGpus()
    {
        var jobs = SqueueQuery.Parse(Capture("squeue-22.05-mixed.txt")).ToDictionary(j => j.JobId);

        Assert.Equal(10, jobs.Count);
        Assert.Equal(("PENDING", "Resources", null, 1, SlurmPhase.Pending), (jobs[15].State, jobs[15].Reason, jobs[15].Nodes, jobs[15].Gpus, jobs[15].Phase));
        Assert.Equal(("RUNNING", null, "vm", 1, SlurmPhase.Running), (jobs[13].State, jobs[13].Reason, jobs[13].Nodes, jobs[13].Gpus, jobs[13].Phase));
        Assert.Equal(("COMPLETED", 0, SlurmPhase.Ended), (jobs[11].State, jobs[11].Gpus, jobs[11].Phase));
        Assert.Equal(("FAILED", "NonZeroExitCode"), (jobs[12].State, jobs[12].Reason));
        Assert.Equal(("PENDING", "Priority"), (jobs[16].State, jobs[16].Reason));
        Assert.Equal((3951u, "sxalice", "debug"), (jobs[13].Uid, jobs[13].User, jobs[13].Partition));
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 23, 0, 55, TimeSpan.Zero), jobs[13].StartTime);
        Assert.Null(jobs[13].EndTime);
        Assert.Equal(TimeSpan.FromSeconds(8), jobs[13].TimeUsed);
        Assert.Equal(TimeSpan.FromMinutes(1), jobs[16].TimeLimit);
        Assert.Null(jobs[11].TimeLimit);
        Assert.Equal(TimeSpan.FromDays(365), jobs[8].TimeLimit);
    }

    [Fact]
    public void Squeue_KeepsANameWithSpacesAndBars_InOneField() =>
        Assert.Equal("portal-15 odd|name", SqueueQuery.Parse(Capture("squeue-22.05-mixed.txt")).Single(j => j.JobId == 15).Name);

    [Fact]
    public void Squeue_AfterANodeFailure_ShowsTheTimeoutAndTheRequeuedJob()
    {
        var jobs = SqueueQuery.Parse(Capture("squeue-22.05-after-node-down.txt")).ToDictionary(j => j.JobId);

        Assert.Equal(("TIMEOUT", "TimeLimit", SlurmPhase.Ended), (jobs[16].State, jobs[16].Reason, jobs[16].Phase));
        Assert.Equal(SlurmPhase.Pending, jobs[15].Phase);
    }

    [Fact]
    public void Squeue_OutputWithAMissingField_IsAnError_NotAGuess() =>
        Assert.Throws<FormatException>(() => SqueueQuery.Parse("\u001e" + "1\u001fportal-1\u001fRUNNING\n").ToList());

    [Fact]
    public void TheSqueueArguments_AskForTheJobsByIdInAllStates()
    {
        var args = SqueueQuery.Arguments([3, 12, 40]);

        Assert.Equal(["--noheader", "--states=all", "--jobs=3,12,40"], args.Take(3));
        Assert.StartsWith("--format=\u001e%A\u001f%j\u001f%T\u001f%r", args[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Scontrol_GivesExitCodesSignalsAndGpuIndexes()
    {
        var jobs = ScontrolJobQuery.Parse(Capture("scontrol-job-22.05.txt")).ToDictionary(j => j.JobId);

        Assert.Equal(("COMPLETED", 0, (int?)null), (jobs[11].State, jobs[11].ExitCode, jobs[11].Signal));
        Assert.Equal(("FAILED", 3), (jobs[12].State, jobs[12].ExitCode));
        Assert.Equal(("RUNNING", "vm"), (jobs[13].State, jobs[13].Nodes));
        Assert.Equal([0], jobs[13].GpuIndexes);
        Assert.Equal(("PENDING", "Resources", null), (jobs[15].State, jobs[15].Reason, jobs[15].Nodes));
        Assert.Equal("portal-15 odd|name", jobs[15].Name);
        Assert.Equal("CANCELLED", jobs[17].State);
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 23, 0, 53, TimeSpan.Zero), jobs[12].EndTime);
    }

    [Theory]
    [InlineData("0:0", 0, null)]
    [InlineData("3:0", 3, null)]
    [InlineData("0:9", null, 9)]
    [InlineData("garbage", null, null)]
    public void ExitCodes_SeparateTheCodeFromTheSignal(string text, int? code, int? signal) =>
        Assert.Equal((code, signal), ScontrolJobQuery.ExitCode(text));

    [Fact]
    public void KeyValueLines_KeepValuesWithSpaces_AndKeysWithColonsAndSlashes()
    {
        var pairs = KeyValueLine.Parse("NodeName=vm OS=Linux 6.18.44 #1 SMP PREEMPT_DYNAMIC @0  RealMemory=2000 AllocNode:Sid=localhost:1741 CPUs/Task=1 Reason=Not responding [slurm@2026-12-05T23:01:50]");

        Assert.Equal("Linux 6.18.44 #1 SMP PREEMPT_DYNAMIC @0", pairs["OS"]);
        Assert.Equal("2000", pairs["RealMemory"]);
        Assert.Equal("localhost:1741", pairs["AllocNode:Sid"]);
        Assert.Equal("1", pairs["CPUs/Task"]);
        Assert.Equal("Not responding [slurm@2026-12-05T23:01:50]", pairs["Reason"]);
    }

    [Fact]
    public void Sinfo_GivesEachNodesGpusCpusAndMemory()
    {
        var node = Assert.Single(SinfoQuery.Parse(Capture("sinfo-22.05-allocated.txt")));

        Assert.Equal(("vm", "allocated", SlurmNodeHealth.Up), (node.Name, node.State, node.Health));
        Assert.Equal((2, 2), (node.Gpus, node.GpusInUse));
        Assert.Equal((2, 2), (node.CpusAllocated, node.CpusTotal));
        Assert.Equal((2000L, 100L), (node.MemoryMiB, node.MemoryAllocatedMiB));
        Assert.Null(node.Reason);
        Assert.Equal(["debug"], node.Partitions);
    }

    [Fact]
    public void Sinfo_ShowsANodeWhoseSlurmdDied_AsDown_WithSlurmsReason()
    {
        var node = Assert.Single(SinfoQuery.Parse(Capture("sinfo-22.05-down.txt")));

        Assert.Equal(("down*", SlurmNodeHealth.Down, "Not responding"), (node.State, node.Health, node.Reason));
    }

    [Fact]
    public void Sinfo_MergesANodeListedOncePerPartition()
    {
        var output = "gpu01\u001fmixed\u001fgpu:a100:4\u001fgpu:a100:1(IDX:2)\u001f8/24/0/32\u001f256000\u001f64000\u001fnone\u001fgpu*\u001e\n"
            + "gpu01\u001fmixed\u001fgpu:a100:4\u001fgpu:a100:1(IDX:2)\u001f8/24/0/32\u001f256000\u001f64000\u001fnone\u001fdebug\u001e\n";

        var node = Assert.Single(SinfoQuery.Parse(output));

        Assert.Equal((4, 1), (node.Gpus, node.GpusInUse));
        Assert.Equal(["gpu", "debug"], node.Partitions);
    }

    [Theory]
    [InlineData("idle", SlurmNodeHealth.Up)]
    [InlineData("mixed", SlurmNodeHealth.Up)]
    [InlineData("idle*", SlurmNodeHealth.Down)]
    [InlineData("down*", SlurmNodeHealth.Down)]
    [InlineData("fail", SlurmNodeHealth.Down)]
    [InlineData("drained", SlurmNodeHealth.Drained)]
    [InlineData("mixed+drain", SlurmNodeHealth.Drained)]
    public void NodeStates_MapToHealth(string state, SlurmNodeHealth health) => Assert.Equal(health, SinfoQuery.Health(state));

    [Theory]
    [InlineData("gres:gpu:2", 2)]
    [InlineData("gres/gpu=3", 3)]
    [InlineData("gpu:a100:2(IDX:0-1),mps:100", 2)]
    [InlineData("gpu:1,gpu:a100:2", 3)]
    [InlineData("N/A", 0)]
    [InlineData("", 0)]
    public void GpuCounts_AreReadFromEveryGresForm(string text, int count) => Assert.Equal(count, SlurmFields.GpuCount(text));

    [Fact]
    public void GpuIndexes_ExpandRanges() => Assert.Equal([0, 2, 3, 4], SlurmFields.GpuIndexes("gpu:4(IDX:0,2-4)"));

    [Theory]
    [InlineData("0:28", 0, 0, 28)]
    [InlineData("1:02:03", 1, 2, 3)]
    [InlineData("2-01:00:00", 49, 0, 0)]
    public void Durations_ReadSlurmsForms(string text, int hours, int minutes, int seconds) =>
        Assert.Equal(new TimeSpan(hours, minutes, seconds), SlurmFields.Duration(text));

    [Theory]
    [InlineData("COMPLETED", 0, JobState.Succeeded)]
    [InlineData("COMPLETED", null, JobState.Succeeded)]
    [InlineData("FAILED", 3, JobState.Failed)]
    [InlineData("CANCELLED by 1000", 143, JobState.Cancelled)]
    [InlineData("TIMEOUT", null, JobState.TimedOut)]
    [InlineData("NODE_FAIL", null, JobState.Lost)]
    [InlineData("OUT_OF_MEMORY", null, JobState.Failed)]
    public void EndedSlurmStates_MapToThePortalsFinalStates(string state, int? exit, JobState expected)
    {
        Assert.Equal(SlurmPhase.Ended, SlurmJobStates.Phase(state));
        Assert.Equal(expected, SlurmJobStates.FinalState(state, exit));
    }

    [Theory]
    [InlineData("Resources", PendingReason.Resources)]
    [InlineData("Priority", PendingReason.Priority)]
    [InlineData("QOSMaxGRESPerUser", PendingReason.UserGpuLimit)]
    [InlineData("AssocGrpGRES", PendingReason.UserGpuLimit)]
    [InlineData("QOSMaxJobsPerUserLimit", PendingReason.UserJobLimit)]
    [InlineData("AssocGrpGRESRunMinutes", PendingReason.GpuHoursExhausted)]
    [InlineData("ReqNodeNotAvail, UnavailableNodes:gpu01", PendingReason.GpuDrained)]
    [InlineData("PartitionDown", PendingReason.GpuDrained)]
    [InlineData("Dependency", PendingReason.Cluster)]
    [InlineData("JobHeldAdmin", PendingReason.Cluster)]
    [InlineData("None", PendingReason.None)]
    public void SlurmsPendingReasons_MapToThePortals(string reason, PendingReason expected) => Assert.Equal(expected, SlurmReasons.Map(reason));

    [Fact]
    public void Sacct_ReadsFinalStatesAndExitCodes()
    {
        var jobs = SacctQuery.Parse("41\u001fCOMPLETED\u001f0:0\u001f2026-12-05T23:00:52\u001f2026-12-05T23:00:53\u001fvm\n42\u001fCANCELLED by 3951\u001f0:15\u001f2026-12-05T23:01:00\u001f2026-12-05T23:01:09\u001fvm\n43\u001fCANCELLED by 3951\u001f0:0\u001fNone\u001f2026-12-05T23:01:09\u001fNone assigned\n");

        Assert.Equal(("COMPLETED", 0), (jobs[0].State, jobs[0].ExitCode));
        Assert.Equal(("CANCELLED", null, 15), (jobs[1].State, jobs[1].ExitCode, jobs[1].Signal));
        Assert.Equal((null, (string?)null), (jobs[2].Start, jobs[2].Nodes));
    }
}

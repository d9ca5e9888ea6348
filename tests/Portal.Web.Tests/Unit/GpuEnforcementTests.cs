using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Gpus;

namespace Portal.Web.Tests.Unit;

/// <summary>The GPU admin page's "on this box" lines, from each shape of the launcher's self-test and the option.</summary>
public sealed class GpuEnforcementTests
{
    private static readonly CheckItem DeviceControl = new() { Name = "device-control", Status = "ok", Detail = "A job opens only the standard devices and its own GPUs: a BPF device program on its cgroup." };
    private static readonly CheckItem ClosedNode = new() { Name = "gpu 0", Status = "ok", Detail = "/dev/nvidia0 is 660: ACL mode enforces allocation." };
    private static readonly CheckItem OpenNode = new() { Name = "gpu 0", Status = "fail", Detail = "/dev/nvidia0 is 666: any user can open it, ACL mode enforces nothing (set NVreg_DeviceFileMode=0660)." };

    private static EnforcementLine Line(IReadOnlyList<EnforcementLine> lines, string topic) => Assert.Single(lines, l => l.Topic == topic);

    [Fact]
    public void With_device_control_ACL_mode_on_closed_nodes_and_both_sides_agreeing_everything_is_enforced()
    {
        var lines = GpuEnforcement.Lines(new SelfTest([DeviceControl, ClosedNode], new PolicyFacts { ManageDeviceAcls = true, KillGpuProcesses = true, GpuProcessKillGraceSeconds = 5 }), killOption: true, null);

        Assert.All(lines, l => Assert.True(l.Enforced, l.Topic));
        Assert.Equal("Ended", Line(lines, GpuEnforcement.ProcessesTopic).Summary);
        Assert.Contains("SIGKILL after 5 s", Line(lines, GpuEnforcement.ProcessesTopic).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ACL_mode_with_a_node_any_user_can_open_is_not_enforced_and_says_which()
    {
        var line = Line(GpuEnforcement.Lines(new SelfTest([DeviceControl, OpenNode], new PolicyFacts { ManageDeviceAcls = true }), false, null), GpuEnforcement.OutsideTopic);

        Assert.False(line.Enforced);
        Assert.Contains("/dev/nvidia0 is 666", line.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_ACL_mode_GPUs_outside_jobs_are_only_detected()
    {
        var line = Line(GpuEnforcement.Lines(new SelfTest([DeviceControl, ClosedNode], new PolicyFacts { ManageDeviceAcls = false }), false, null), GpuEnforcement.OutsideTopic);

        Assert.False(line.Enforced);
        Assert.Equal("Detected only", line.Summary);
    }

    [Fact]
    public void A_launcher_without_job_cgroups_enforces_no_device_control_and_says_why()
    {
        var cgroup = new CheckItem { Name = "cgroup", Status = "warn", Detail = "cgroup v2; dev mode makes no job cgroup: limits and device control are not enforced." };

        var line = Line(GpuEnforcement.Lines(new SelfTest([cgroup], new PolicyFacts()), false, null), GpuEnforcement.JobsTopic);

        Assert.False(line.Enforced);
        Assert.Equal(cgroup.Detail, line.Detail);
    }

    [Theory]
    [InlineData(true, false, "does not allow it")]
    [InlineData(false, true, "the portal's option (Portal:Gpus:ForeignProcesses:Kill) is off")]
    [InlineData(false, false, "nothing ends them")]
    public void Processes_are_ended_only_when_the_option_and_the_policy_both_say_so(bool option, bool policy, string why)
    {
        var line = Line(GpuEnforcement.Lines(new SelfTest([DeviceControl], new PolicyFacts { KillGpuProcesses = policy }), option, null), GpuEnforcement.ProcessesTopic);

        Assert.False(line.Enforced);
        Assert.Equal("Detected and audited only", line.Summary);
        Assert.Contains(why, line.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_launcher_that_did_not_answer_makes_no_claim()
    {
        var lines = GpuEnforcement.Lines(null, killOption: true, "sudo: a password is required");

        Assert.All(lines, l => Assert.False(l.Enforced));
        Assert.Contains("sudo: a password is required", Line(lines, GpuEnforcement.JobsTopic).Detail, StringComparison.Ordinal);
    }
}

using Portal.Jobs.Slurm;
using Portal.Launcher.Protocol;

namespace Portal.Web.Tests.Jobs;

/// <summary>An app's services' states on a Slurm cluster, read from what its batch script wrote in the job's output.</summary>
public sealed class SlurmAppStatesTests
{
    [Fact]
    public void Each_service_is_running_once_started_and_exited_with_its_code_once_ended_and_absent_before_it_starts()
    {
        string[] lines =
        [
            "some podman warning",
            SlurmNames.ServiceStartedLine("db"),
            SlurmNames.ServiceStartedLine("web"),
            SlurmNames.ServiceLinePrefix + "web" + SlurmNames.ServiceEndedSuffix + "3",
            "portal: service 'db' ended, exit code not-a-number",
            "portal: service '' started",
        ];

        var states = SlurmAppStates.Parse(lines, "42", "alice", ["db", "web", "later"]);

        Assert.Equal([("db", "running", (int?)null), ("web", "exited", 3)], states.Select(s => (s.Service!, s.State!, s.ExitCode)));
        Assert.All(states, s => Assert.Equal(("42", "alice"), (s.App, s.Owner)));
    }

    [Fact]
    public void A_service_the_app_does_not_have_is_never_shown() =>
        Assert.Empty(SlurmAppStates.Parse([SlurmNames.ServiceStartedLine("intruder")], "42", "alice", ["db"]));
}

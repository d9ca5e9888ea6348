using Portal.Web.Tests.Jobs;

namespace Portal.Production.Tests;

/// <summary>deploy/systemd/portal.service as systemd itself reads it (no running systemd needed).</summary>
public sealed class SystemdUnitTests
{
    private static readonly string Unit = Path.Combine(InstalledPortal.Repository, "deploy/systemd/portal.service");
    private static readonly string JobsUnit = Path.Combine(InstalledPortal.Repository, "deploy/systemd/portal-jobs.service");

    [Theory]
    [InlineData("portal.service")]
    [InlineData("portal-jobs.service")]
    public async Task The_unit_passes_systemd_analyze_verify_without_a_single_warning(string name)
    {
        // verify wants a unit-file name; an unknown key or a bad value is only a warning, so any output fails the test.
        // Both units sit side by side, as installed: portal.service wants portal-jobs.service.
        var dir = Directory.CreateTempSubdirectory("portal-unit-");
        try
        {
            File.Copy(Unit, Path.Combine(dir.FullName, "portal.service"));
            File.Copy(JobsUnit, Path.Combine(dir.FullName, "portal-jobs.service"));

            var r = await Sh.RunAsync("/usr/bin/systemd-analyze", ["verify", Path.Combine(dir.FullName, name)]);

            Assert.True(r.ExitCode == 0 && r.Stdout.Length == 0 && r.Stderr.Length == 0, r.ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_jobs_unit_delegates_its_cgroup_and_holds_no_process_of_its_own()
    {
        var settings = File.ReadAllLines(JobsUnit).Where(l => l.Length > 0 && !l.StartsWith('#') && l.Contains('=', StringComparison.Ordinal))
            .Select(l => l.Split('=', 2)).ToLookup(kv => kv[0], kv => kv[1], StringComparer.Ordinal);

        Assert.Equal(["yes"], settings["Delegate"]);
        Assert.Equal(["oneshot"], settings["Type"]);
        Assert.Equal(["yes"], settings["RemainAfterExit"]);
        Assert.Contains("portal-jobs.service", File.ReadAllText(Unit), StringComparison.Ordinal);
    }

    [Fact]
    public void The_unit_runs_the_portal_unprivileged_in_a_read_only_system_and_leaves_jobs_running_on_stop()
    {
        var settings = File.ReadAllLines(Unit).Where(l => l.Length > 0 && !l.StartsWith('#') && l.Contains('=', StringComparison.Ordinal))
            .Select(l => l.Split('=', 2)).ToLookup(kv => kv[0], kv => kv[1], StringComparer.Ordinal);

        Assert.Equal(["portal"], settings["User"]);
        Assert.Equal(["strict"], settings["ProtectSystem"]);
        Assert.Equal(["yes"], settings["PrivateTmp"]);
        Assert.Equal(["process"], settings["KillMode"]);
        Assert.Equal([""], settings["AmbientCapabilities"]);
        Assert.Single(settings["RestrictAddressFamilies"]);
        // Each protection left off is named in a comment with its reason, and not set.
        var text = File.ReadAllText(Unit);
        foreach (var off in new[] { "NoNewPrivileges", "CapabilityBoundingSet", "ProtectHome", "PrivateDevices", "ProtectKernelTunables", "ProtectControlGroups", "RestrictNamespaces", "SystemCallFilter", "MemoryDenyWriteExecute" })
        {
            Assert.Contains("# " + off + "=", text, StringComparison.Ordinal);
            Assert.Empty(settings[off]);
        }
    }
}

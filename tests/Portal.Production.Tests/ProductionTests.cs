using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;
using Portal.Web.Tests.Infrastructure;
using Portal.Web.Tests.Jobs;

namespace Portal.Production.Tests;

/// <summary>
/// The trust model of DESIGN.md on an installed host: the portal runs as `portal` without privileges, reaches root
/// only through the one sudo rule, and jobs run as their owners and outlive the portal.
/// </summary>
[Collection(InstalledPortalGroup.Name)]
public sealed class ProductionTests(InstalledPortal installed, ITestOutputHelper output)
{
    private const string Busybox = InstalledPortal.Image;

    [Fact]
    public async Task Install_is_idempotent_and_leaves_root_owned_programs_and_a_private_settings_file()
    {
        var again = installed.Installs[1];

        Assert.Contains("kept the launcher policy /etc/portal/launcher.json", again.Stdout, StringComparison.Ordinal);
        Assert.Contains("kept /etc/portal/portal.env", again.Stdout, StringComparison.Ordinal);
        Assert.Contains("Still to do:", again.Stdout, StringComparison.Ordinal);
        var stat = (await Sh.CheckedAsync("/usr/bin/stat", "-c", "%n %U:%G %a", InstalledPortal.Launcher, "/usr/libexec/portal",
            "/etc/sudoers.d/portal-launcher", "/etc/portal/launcher.json", "/etc/portal/portal.env", "/usr/lib/portal",
            "/usr/lib/portal/Portal.Web.dll", "/var/lib/portal")).Trim().Split('\n');
        Assert.Equal(
        [
            "/usr/libexec/portal/portal-launcher root:root 755",
            "/usr/libexec/portal root:root 755",
            "/etc/sudoers.d/portal-launcher root:root 440",
            "/etc/portal/launcher.json root:root 644",
            "/etc/portal/portal.env root:portal 640",
            "/usr/lib/portal root:root 755",
            "/usr/lib/portal/Portal.Web.dll root:root 644",
            "/var/lib/portal portal:portal 700",
        ], stat);
        foreach (var user in new[] { installed.Alice, installed.Bob })
        {
            Assert.Contains(File.ReadAllLines("/etc/subuid"), l => l.StartsWith(user.Name + ":", StringComparison.Ordinal));
            Assert.Contains(File.ReadAllLines("/etc/subgid"), l => l.StartsWith(user.Name + ":", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_portal_process_is_not_root_and_holds_no_capabilities()
    {
        var status = await File.ReadAllLinesAsync($"/proc/{installed.Portal.Pid}/status");
        string Field(string name) => status.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

        var uid = HostAccount.N(installed.Service.Uid);
        var gid = HostAccount.N(installed.Service.Gid);
        Assert.NotEqual(0u, installed.Service.Uid);
        Assert.Equal([uid, uid, uid, uid], Field("Uid").Split('\t'));
        Assert.Equal([gid, gid, gid, gid], Field("Gid").Split('\t'));
        Assert.DoesNotContain("0", Field("Groups").Split(' ', StringSplitOptions.RemoveEmptyEntries));
        foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapAmb" })
        {
            Assert.True(Field(set) == "0000000000000000", $"{set} is {Field(set)}");
        }

        Assert.Contains("dotnet", await File.ReadAllTextAsync($"/proc/{installed.Portal.Pid}/cmdline"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sudo_lets_the_portal_account_run_the_launcher_and_nothing_else()
    {
        var list = await AsPortalAsync("", "/usr/bin/sudo", "-n", "-l");
        var check = await AsPortalAsync("{\"version\":1,\"verb\":\"check\"}", "/usr/bin/sudo", "-n", InstalledPortal.Launcher);

        Assert.True(list.ExitCode == 0, list.ToString());
        var commands = list.Stdout.Split('\n').Where(l => l.TrimStart().StartsWith('(')).Select(l => l.Trim()).ToList();
        Assert.Equal(["(root) NOPASSWD: /usr/libexec/portal/portal-launcher \"\""], commands);
        Assert.True(check.ExitCode == 0 && check.Stdout.Contains("\"ok\":true", StringComparison.Ordinal), check.ToString());
        string[][] refused =
        [
            ["/usr/bin/sudo", "-n", InstalledPortal.Launcher, "--verbose"],
            ["/usr/bin/sudo", "-n", "PORTAL_LAUNCHER_POLICY=/tmp/evil.json", InstalledPortal.Launcher],
            ["/usr/bin/sudo", "-n", "-E", InstalledPortal.Launcher],
            ["/usr/bin/sudo", "-n", "-u", installed.Alice.Name, InstalledPortal.Launcher],
            ["/usr/bin/sudo", "-n", "/usr/bin/id"],
            ["/usr/bin/sudo", "-n", "/bin/sh", "-c", "id"],
            ["/usr/bin/sudo", "-n", "-s"],
            ["/usr/bin/sudo", "-n", "-i"],
        ];
        foreach (var argv in refused)
        {
            var r = await AsPortalAsync("{\"version\":1,\"verb\":\"check\"}", argv);
            Assert.True(r.ExitCode != 0 && r.Stderr.Contains("sudo", StringComparison.Ordinal) && !r.Stdout.Contains("\"ok\":true", StringComparison.Ordinal),
                $"{string.Join(' ', argv)} was not refused: {r}");
        }
    }

    [Fact]
    public async Task Jobs_of_two_users_run_as_their_own_uids_through_sudo_and_a_restarted_portal_adopts_them()
    {
        using var alice = await installed.SignInAsync(installed.Alice.Name);
        using var bob = await installed.SignInAsync(installed.Bob.Name);
        // Alice's job ends on its own once a file appears in it; Bob's runs until it is stopped.
        var aliceJob = await JobPages.LaunchAsync(alice, "until-done", Busybox, "sh", "-c", "while [ ! -e /tmp/done ]; do sleep 0.2; done");
        var bobJob = await JobPages.LaunchAsync(bob, "sleeper", Busybox, "sleep", "600");
        await JobPages.WaitForStateAsync(alice, aliceJob, "Running");
        await JobPages.WaitForStateAsync(bob, bobJob, "Running");

        var alicePid = await ContainerPidAsync(installed.Alice, aliceJob);
        var bobPid = await ContainerPidAsync(installed.Bob, bobJob);
        Assert.Equal(installed.Alice.Uid, await UidOfAsync(alicePid));
        Assert.Equal(installed.Bob.Uid, await UidOfAsync(bobPid));
        var audit = await File.ReadAllLinesAsync(InstalledPortal.AuditLog);
        Assert.Contains(audit, l => IsPrivilegedRun(l, installed.Alice.Name, aliceJob));
        Assert.Contains(audit, l => IsPrivilegedRun(l, installed.Bob.Name, bobJob));

        await installed.RestartPortalAsync();

        Assert.Equal(installed.Alice.Uid, await UidOfAsync(alicePid));
        Assert.Equal(installed.Bob.Uid, await UidOfAsync(bobPid));
        Assert.StartsWith("Running", await JobPages.StateAsync(alice, aliceJob), StringComparison.Ordinal);
        Assert.StartsWith("Running", await JobPages.StateAsync(bob, bobJob), StringComparison.Ordinal);
        // The new portal follows both: it records the exit of one and stops the other as its owner.
        var touched = await installed.Alice.PodmanAsync("exec", JobPages.ContainerName(aliceJob), "sh", "-c", ": > /tmp/done");
        Assert.True(touched.ExitCode == 0, touched.ToString());
        await JobPages.WaitForStateAsync(alice, aliceJob, "Succeeded");
        await JobPages.StopAsync(bob, bobJob);
        await JobPages.WaitForStateAsync(bob, bobJob, "Cancelled");
        Assert.False(Directory.Exists($"/proc/{bobPid}"), "bob's job still runs after the restarted portal stopped it");
    }

    [Fact]
    public async Task Metrics_expose_jobs_queue_scheduler_and_launcher_series_to_this_machine_only()
    {
        using var alice = await installed.SignInAsync(installed.Alice.Name);
        var done = await JobPages.LaunchAsync(alice, "hello", Busybox, "echo", "hello");
        var missing = await JobPages.LaunchAsync(alice, "no-such-image", "localhost/pprod-missing:latest", "true");
        await JobPages.WaitForStateAsync(alice, done, "Succeeded");
        await JobPages.WaitForStateAsync(alice, missing, "Failed");
        using var http = new HttpClient { BaseAddress = installed.BaseAddress };

        // Job counts are read from the database every refresh interval (15 s by default).
        var metrics = await Eventually.UntilAsync(() => http.GetStringAsync("/metrics"),
            m => PrometheusText.Value(m, "portal_jobs", ("state", "Succeeded")) >= 1 && PrometheusText.Value(m, "portal_jobs", ("state", "Failed")) >= 1,
            TimeSpan.FromSeconds(40), "the job counts in /metrics");
        using var relayed = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        relayed.Headers.Add("X-Forwarded-For", "203.0.113.9");
        using var remote = await http.SendAsync(relayed);

        (string Name, (string, string)[] Labels)[] required =
        [
            ("portal_jobs", [("state", "Running")]),
            ("portal_jobs", [("state", "Queued")]),
            ("portal_queue_length", []),
            ("portal_queue_oldest_wait_seconds", []),
            ("portal_queue_wait_seconds_count", []),
            ("portal_scheduler_pass_duration_seconds_count", []),
            ("portal_launcher_call_duration_seconds_count", [("verb", "run"), ("outcome", "ok")]),
            ("portal_launcher_call_duration_seconds_count", [("verb", "list"), ("outcome", "ok")]),
            ("portal_launcher_call_failures_total", [("verb", "run"), ("failure", "OperationFailed")]),
        ];
        foreach (var (name, labels) in required)
        {
            Assert.True(PrometheusText.Value(metrics, name, labels) is not null, $"{name} {string.Join(',', labels)} is missing from /metrics:\n{metrics}");
        }

        Assert.True(PrometheusText.Value(metrics, "portal_queue_wait_seconds_count") >= 2, metrics);
        // What the installed portal measured: launcher calls through sudo, scheduling passes, queue waits.
        foreach (var line in metrics.Split('\n').Where(l => l.Contains("_sum{", StringComparison.Ordinal) || l.Contains("_count{", StringComparison.Ordinal)))
        {
            output.WriteLine(line);
        }
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, remote.StatusCode);
    }

    [Fact]
    public async Task Every_job_line_of_the_JSON_log_carries_the_job_id_and_its_user()
    {
        using var bob = await installed.SignInAsync(installed.Bob.Name);
        var job = await JobPages.LaunchAsync(bob, "logged", Busybox, "echo", "logged");
        await JobPages.WaitForStateAsync(bob, job, "Succeeded");

        var entries = installed.Portal.Lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var jobLines = entries.Where(e => e.GetProperty("Category").GetString()!.StartsWith("Portal.Jobs.", StringComparison.Ordinal)
            && e.TryGetProperty("State", out var state) && state.TryGetProperty("JobId", out _)).ToList();

        Assert.Contains(jobLines, e => e.GetProperty("State").GetProperty("JobId").GetInt64() == job);
        foreach (var line in jobLines)
        {
            var id = line.GetProperty("State").GetProperty("JobId").GetInt64();
            var scopes = line.TryGetProperty("Scopes", out var s) ? s.EnumerateArray().ToList() : [];
            Assert.True(scopes.Any(scope => scope.ValueKind == JsonValueKind.Object
                    && scope.TryGetProperty("JobId", out var scopedId) && scopedId.GetInt64() == id
                    && scope.TryGetProperty("User", out var user) && user.GetString() is { Length: > 0 }),
                "a job line without the job's scope: " + line.GetRawText());
        }
    }

    private static bool IsPrivilegedRun(string auditLine, string user, long job)
    {
        using var record = JsonDocument.Parse(auditLine);
        var r = record.RootElement;
        return r.GetProperty("verb").GetString() == "run" && r.GetProperty("user").GetString() == user
            && r.GetProperty("job").GetString() == job.ToString(CultureInfo.InvariantCulture)
            && r.GetProperty("mode").GetString() == "privileged" && r.GetProperty("decision").GetString() == "done";
    }

    private static async Task<int> ContainerPidAsync(HostAccount user, long job)
    {
        var r = await user.PodmanAsync("inspect", "--format", "{{.State.Pid}}", JobPages.ContainerName(job));
        Assert.True(r.ExitCode == 0, r.ToString());
        return int.Parse(r.Stdout.Trim(), CultureInfo.InvariantCulture);
    }

    private static async Task<uint> UidOfAsync(int pid)
    {
        var uids = (await File.ReadAllLinesAsync($"/proc/{pid}/status")).Single(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1).Distinct().ToList();
        return uint.Parse(Assert.Single(uids), CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a command as the portal's account with a clean environment and <paramref name="stdin"/> as its input.</summary>
    private Task<ShResult> AsPortalAsync(string stdin, params string[] argv) =>
        WithInput.RunAsync("/usr/bin/setpriv", ["--reuid", HostAccount.N(installed.Service.Uid), "--regid", HostAccount.N(installed.Service.Gid),
            "--init-groups", "--", "/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "HOME=/var/lib/portal", .. argv], stdin);
}

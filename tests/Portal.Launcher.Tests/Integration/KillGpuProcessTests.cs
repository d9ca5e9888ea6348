using System.Diagnostics;
using System.Globalization;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// <c>kill-gpu-process</c> against real processes of the throwaway accounts (setpriv, killed in finally): it ends exactly
/// the process named by pid, start time and uid, as its owner, and refuses everything else with nothing signalled: a pid
/// that now names another process (a recycled pid), another account's process, root's, a system account's, the portal's
/// own, an account outside the group, a job's process, and any request while the policy is off.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class KillGpuProcessTests(LauncherFixture f)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task ThePolicysOwnersProcess_EndsWithSigterm_AndTheAuditSaysSo()
    {
        await using var bobs = await UserProcess.StartAsync(f.Bob);

        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.Kill(f.Bob.Name, bobs.Pid, bobs.StartTime, f.Bob.Uid));

        Assert.True(call.ExitCode == 0, call.ToString());
        Assert.Equal("SIGTERM", call.Response!.Killed!.Signal);
        Assert.True(call.Response.Killed.Exited);
        await bobs.WaitForExitAsync();
        var audit = LauncherRunner.AuditRecords(call);
        Assert.Contains(audit, r => r.GetProperty("decision").GetString() == "done"
            && r.GetProperty("detail").GetString()!.Contains("SIGTERM, gone", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AProcessThatIgnoresSigterm_EndsWithSigkillAfterTheGrace()
    {
        await using var bobs = await UserProcess.StartAsync(f.Bob, ignoreTerm: true);
        var started = Stopwatch.StartNew();

        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.Kill(f.Bob.Name, bobs.Pid, bobs.StartTime, f.Bob.Uid));

        Assert.True(call.ExitCode == 0, call.ToString());
        Assert.Equal("SIGKILL", call.Response!.Killed!.Signal);
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(LauncherFixture.KillGraceSeconds), "SIGKILL came before the grace was over");
        await bobs.WaitForExitAsync();
    }

    [Fact]
    public async Task ARecycledPid_AnotherProcessOfTheSameAccountWithAnotherStartTime_IsRefused_AndSurvives()
    {
        // The process the portal saw ended; the pid asked for now names a later process of the same account.
        ulong endedStart;
        await using (var ended = await UserProcess.StartAsync(f.Bob))
        {
            endedStart = ended.StartTime;
        }

        // Start times count clock ticks: the later process starts a tick after, as a recycled pid's would.
        await Wait.UntilAsync(() => Task.FromResult(UserProcess.TicksSinceBoot()), t => t > endedStart + 1, Deadline, "the next clock tick");
        await using var later = await UserProcess.StartAsync(f.Bob);
        Assert.NotEqual(endedStart, later.StartTime);

        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.Kill(f.Bob.Name, later.Pid, endedStart, f.Bob.Uid));

        AssertRefused(call, "the pid now names another process");
        Assert.True(later.IsRunning);
    }

    [Fact]
    public async Task AProcessThatEnded_IsReportedGone_AndNothingIsSignalled()
    {
        int pid;
        ulong start;
        await using (var ended = await UserProcess.StartAsync(f.Bob))
        {
            (pid, start) = (ended.Pid, ended.StartTime);
        }

        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.Kill(f.Bob.Name, pid, start, f.Bob.Uid));

        // Gone (1), or the pid already reused by another process whose start time differs (2): never killed.
        Assert.True(call.ExitCode is 1 or 2, call.ToString());
        Assert.Null(call.Response!.Killed);
    }

    [Fact]
    public async Task AnotherAccountsProcess_IsRefused_WhicheverNameAndUidTheRequestGives()
    {
        await using var bobs = await UserProcess.StartAsync(f.Bob);

        LauncherCall asAlice = await LauncherRunner.RunAsync(f, Requests.Kill(f.Alice.Name, bobs.Pid, bobs.StartTime, f.Alice.Uid));
        LauncherCall nameAndUidDisagree = await LauncherRunner.RunAsync(f, Requests.Kill(f.Bob.Name, bobs.Pid, bobs.StartTime, f.Alice.Uid));

        AssertRefused(asAlice, $"belongs to uid {f.Bob.Uid}, not {f.Alice.Uid}");
        AssertRefused(nameAndUidDisagree, $"has uid {f.Bob.Uid}, not {f.Alice.Uid}");
        Assert.True(bobs.IsRunning);
    }

    [Fact]
    public async Task RootsProcess_IsRefused_AsUidZeroAndUnderAnAccountsName()
    {
        // This test's own process is root's.
        int self = Environment.ProcessId;
        ulong start = UserProcess.StartTimeOf(self);

        LauncherCall asRoot = await LauncherRunner.RunAsync(f, Requests.Kill("root", self, start, 0));
        LauncherCall underBob = await LauncherRunner.RunAsync(f, Requests.Kill(f.Bob.Name, self, start, f.Bob.Uid));

        AssertRefused(asRoot, "process.uid 0 is root");
        AssertRefused(underBob, $"belongs to uid 0, not {f.Bob.Uid}");
    }

    [Fact]
    public async Task ASystemAccountsOrAnOutsidersProcess_IsRefused()
    {
        await using var sys = await UserProcess.StartAsync(f.SystemUser);
        await using var carols = await UserProcess.StartAsync(f.Carol);

        LauncherCall system = await LauncherRunner.RunAsync(f, Requests.Kill(f.SystemUser.Name, sys.Pid, sys.StartTime, f.SystemUser.Uid));
        LauncherCall outsider = await LauncherRunner.RunAsync(f, Requests.Kill(f.Carol.Name, carols.Pid, carols.StartTime, f.Carol.Uid));

        AssertRefused(system, "below the policy minimum");
        AssertRefused(outsider, $"not a member of the group '{LauncherFixture.Group}'");
        Assert.True(sys.IsRunning);
        Assert.True(carols.IsRunning);
    }

    [Fact]
    public async Task ThePortalsOwnAccountsProcess_IsRefused()
    {
        await using var bobs = await UserProcess.StartAsync(f.Bob);
        var sudo = new Dictionary<string, string> { ["SUDO_UID"] = f.Bob.Uid.ToString(CultureInfo.InvariantCulture) };

        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.Kill(f.Bob.Name, bobs.Pid, bobs.StartTime, f.Bob.Uid), sudo);

        AssertRefused(call, "the portal's own account");
        Assert.True(bobs.IsRunning);
    }

    [Fact]
    public async Task AJobsProcess_IsRefused_TheJobIsStoppedInstead()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"]);
        try
        {
            int pid = await Wait.UntilAsync(() => Task.FromResult(Procs.Find(f.Alice.Uid).FirstOrDefault(p => InCgroupOf(p, job))),
                p => p != 0, Deadline, "a process in the job's cgroup");

            LauncherCall call = await LauncherRunner.RunAsync(f, Requests.Kill(f.Alice.Name, pid, UserProcess.StartTimeOf(pid), f.Alice.Uid));

            AssertRefused(call, "is in a job's cgroup");
            Assert.True(Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture)));
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task WithThePolicyOff_EveryRequestIsRefused_AndCheckSaysSo()
    {
        await using var bobs = await UserProcess.StartAsync(f.Bob);
        LauncherFixture.WritePolicy(manageDeviceAcls: true, killGpuProcesses: false);
        try
        {
            LauncherCall call = await LauncherRunner.RunAsync(f, Requests.Kill(f.Bob.Name, bobs.Pid, bobs.StartTime, f.Bob.Uid));
            LauncherCall check = await LauncherRunner.RunAsync(f, """{"version":1,"verb":"check"}""");

            AssertRefused(call, "does not allow kill-gpu-process");
            Assert.True(bobs.IsRunning);
            Assert.False(check.Response!.Policy!.KillGpuProcesses);
        }
        finally
        {
            LauncherFixture.WritePolicy(manageDeviceAcls: true);
        }

        LauncherCall on = await LauncherRunner.RunAsync(f, """{"version":1,"verb":"check"}""");
        Assert.True(on.Response!.Policy!.KillGpuProcesses);
        Assert.Equal(LauncherFixture.KillGraceSeconds, on.Response.Policy.GpuProcessKillGraceSeconds);
        // The portal matches processes to jobs (and spares them) under this parent only.
        Assert.Equal(LauncherFixture.CgroupParent, on.Response.Policy.CgroupParent);
    }

    [Theory]
    [InlineData("""{"version":1,"verb":"kill-gpu-process","user":"ptest-bob"}""", "needs a 'process' section")]
    [InlineData("""{"version":1,"verb":"kill-gpu-process","user":"ptest-bob","process":{"pid":0,"startTime":5,"uid":1001}}""", "process.pid must be")]
    [InlineData("""{"version":1,"verb":"kill-gpu-process","user":"ptest-bob","process":{"pid":1,"startTime":5,"uid":1001}}""", "process.pid must be")]
    [InlineData("""{"version":1,"verb":"kill-gpu-process","user":"ptest-bob","process":{"pid":-7,"startTime":5,"uid":1001}}""", "process.pid must be")]
    [InlineData("""{"version":1,"verb":"kill-gpu-process","user":"ptest-bob","process":{"pid":99999999,"startTime":5,"uid":1001}}""", "process.pid must be")]
    [InlineData("""{"version":1,"verb":"kill-gpu-process","user":"ptest-bob","process":{"pid":300,"startTime":0,"uid":1001}}""", "process.startTime must be")]
    [InlineData("""{"version":1,"verb":"kill-gpu-process","user":"ptest-bob","process":{"pid":300,"startTime":-1,"uid":1001}}""", "Malformed request")]
    [InlineData("""{"version":1,"verb":"kill-gpu-process","user":"ptest-bob","process":{"pid":300,"uid":1001}}""", "Malformed request")]
    [InlineData("""{"version":1,"verb":"kill-gpu-process","user":"ptest-bob","process":{"pid":"300","startTime":5,"uid":1001}}""", "Malformed request")]
    [InlineData("""{"version":1,"verb":"kill-gpu-process","user":"ptest-bob","process":{"pid":300,"startTime":5,"uid":1001,"signal":9}}""", "Malformed request")]
    [InlineData("""{"version":1,"verb":"kill-gpu-process","user":"ptest-bob","process":{"pid":300,"startTime":5,"uid":7}}""", "below the policy minimum")]
    [InlineData("""{"version":1,"verb":"kill-gpu-process","user":"ptest-bob","job":"j1","process":{"pid":300,"startTime":5,"uid":1001}}""", "takes no job")]
    [InlineData("""{"version":1,"verb":"kill-gpu-process","process":{"pid":300,"startTime":5,"uid":1001}}""", "user")]
    [InlineData("""{"version":1,"verb":"list","user":"ptest-bob","process":{"pid":300,"startTime":5,"uid":1001}}""", "does not take a 'process' section")]
    public async Task AMalformedRequest_IsRefusedWithAClearError(string request, string error)
    {
        LauncherCall call = await LauncherRunner.RunAsync(f, request);

        AssertRefused(call, error);
    }

    private static void AssertRefused(LauncherCall call, string error)
    {
        Assert.True(call.ExitCode == 2, call.ToString());
        Assert.Contains(error, call.Response!.Error, StringComparison.Ordinal);
        Assert.Null(call.Response.Killed);
        Assert.Contains(LauncherRunner.AuditRecords(call), r => r.GetProperty("decision").GetString() == "refused");
    }

    private static bool InCgroupOf(int pid, string job)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cgroup").Contains("/job-" + job, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>A sleep of <c>user</c>'s outside any job (setpriv changes ids and execs: the pid stays the process's).</summary>
    private sealed class UserProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private UserProcess(Process process, ulong startTime)
        {
            _process = process;
            StartTime = startTime;
        }

        public int Pid => _process.Id;

        public ulong StartTime { get; }

        public bool IsRunning => !_process.HasExited;

        /// <param name="user">The owner.</param>
        /// <param name="ignoreTerm">Ignore SIGTERM (an ignored signal stays ignored across exec).</param>
        public static async Task<UserProcess> StartAsync(TestUser user, bool ignoreTerm = false)
        {
            string[] program = ignoreTerm ? ["/bin/sh", "-c", "trap '' TERM; exec /bin/sleep 300"] : ["/bin/sleep", "300"];
            var process = Process.Start(new ProcessStartInfo("/usr/bin/setpriv",
                [$"--reuid={user.Uid}", $"--regid={user.Gid}", "--clear-groups", .. program]))!;
            try
            {
                // Once it runs sleep it is the account's and, where asked, ignores SIGTERM.
                string cmdline = $"/proc/{process.Id.ToString(CultureInfo.InvariantCulture)}/cmdline";
                await Wait.UntilAsync(() => Task.FromResult(File.ReadAllText(cmdline)), c => c.StartsWith("/bin/sleep\0", StringComparison.Ordinal),
                    Deadline, "the process to exec sleep");
                return new UserProcess(process, StartTimeOf(process.Id));
            }
            catch
            {
                process.Kill();
                await process.WaitForExitAsync();
                process.Dispose();
                throw;
            }
        }

        /// <summary>Field 22 of /proc/&lt;pid&gt;/stat, counted from the command name's last ')'.</summary>
        public static ulong StartTimeOf(int pid)
        {
            string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            return ulong.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], CultureInfo.InvariantCulture);
        }

        /// <summary>Now, in the clock ticks start times count (USER_HZ, 100 on Linux), from /proc/uptime.</summary>
        public static ulong TicksSinceBoot()
        {
            string uptime = File.ReadAllText("/proc/uptime").Split(' ')[0];
            return (ulong)(double.Parse(uptime, CultureInfo.InvariantCulture) * 100);
        }

        public async Task WaitForExitAsync()
        {
            using var deadline = new CancellationTokenSource(Deadline);
            await _process.WaitForExitAsync(deadline.Token);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}

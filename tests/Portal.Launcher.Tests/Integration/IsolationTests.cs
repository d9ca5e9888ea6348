using System.Globalization;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>Bob tries to reach Alice's job. Every attempt must fail, and Alice's job must not notice.</summary>
[Collection(LauncherTestGroup.Name)]
public sealed class IsolationTests(LauncherFixture f)
{
    [Fact]
    public async Task Bob_List_NeverShowsAlicesContainer()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"]);

        LauncherCall list = await LauncherRunner.RunAsync(f, Requests.User("list", f.Bob.Name));

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.DoesNotContain(list.Response!.Containers!, c => c.Job == job || c.Owner == f.Alice.Name);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Theory]
    [InlineData("stop")]
    [InlineData("logs")]
    [InlineData("remove")]
    [InlineData("inspect")]
    public async Task Bob_ActingOnAlicesJobName_FailsAndAlicesJobKeepsRunning(string verb)
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sh", "-c", "echo alice-secret; sleep 300"]);
        await Jobs.WaitForLogAsync(f, f.Alice, job, "alice-secret");

        LauncherCall call = await LauncherRunner.RunAsync(f, verb == "stop" ? Requests.Stop(f.Bob.Name, job) : Requests.Job(verb, f.Bob.Name, job));

        Assert.NotEqual(0, call.ExitCode);
        Assert.DoesNotContain("alice-secret", call.Stdout, StringComparison.Ordinal);
        Assert.Equal("running", (await Jobs.InspectAsync(f, f.Alice, job)).State);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task Bob_CannotSignalAlicesContainerProcesses()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"]);
        var state = await Jobs.WaitForStateAsync(f, f.Alice, job, "running");

        foreach (int pid in new[] { state.Pid!.Value, state.ConmonPid!.Value })
        {
            ShellResult kill = await Shell.AsUserAsync(f.Bob, "/bin/sh", "-c", "kill -KILL " + pid.ToString(CultureInfo.InvariantCulture));

            Assert.NotEqual(0, kill.ExitCode);
            Assert.Contains("Operation not permitted", kill.Stderr, StringComparison.Ordinal);
        }

        Assert.Equal("running", (await Jobs.InspectAsync(f, f.Alice, job)).State);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task Container_SeesOnlyTheDefaultDevices_WhenNoGpuIsAllocated()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sh", "-c", "ls -1 /dev; echo ---; ls /dev/ptest-gpu 2>&1; cat /dev/ptest-gpu/nvidia0 2>&1; echo end-of-listing"]);

        string logs = await Jobs.WaitForLogAsync(f, f.Alice, job, "end-of-listing");

        string[] devices = logs[..logs.IndexOf("---", StringComparison.Ordinal)].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] defaults = ["console", "core", "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"];
        Assert.All(devices, d => Assert.Contains(d, defaults));
        Assert.Contains("No such file or directory", logs, StringComparison.Ordinal);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }
}

using System.Globalization;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// Fake GPUs (character devices with NVIDIA's major and no driver, under /dev/ptest-gpu). The test policy has
/// device ACL mode on, so the allocated nodes are 0660 root plus an ACL entry for the job's owner.
/// What the launcher controls on the host is that permission, so the host-side checks ask the kernel's permission
/// check (access(2), which reads the ACL) rather than open(2): some hosts refuse opening hand-made device
/// nodes outright (a device policy on the machine), which says nothing about the ACL.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class GpuTests(LauncherFixture f)
{
    private const string Gpu0 = LauncherFixture.GpuDir + "/nvidia0";
    private const string Gpu1 = LauncherFixture.GpuDir + "/nvidia1";
    private const string Gpu1Uuid = "GPU-11111111-1111-1111-1111-111111111111";

    [Fact]
    public async Task JobGivenGpu1_SeesExactlyThatNodeAndTheControlNodes_AndMatchingVisibleDevices()
    {
        string job = await Jobs.StartAsync(f, f.Alice,
            ["sh", "-c", "ls -1 /dev/ptest-gpu; echo CUDA=$CUDA_VISIBLE_DEVICES; echo NVIDIA=$NVIDIA_VISIBLE_DEVICES; test -r /dev/ptest-gpu/nvidia1 && test -w /dev/ptest-gpu/nvidia1 && echo gpu1-usable; cat /dev/ptest-gpu/nvidia1 2>&1; echo end-of-check"],
            gpus: ["1"]);

        string logs = await Jobs.WaitForLogAsync(f, f.Alice, job, "end-of-check");

        string[] lines = logs.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["nvidia-uvm", "nvidia1", "nvidiactl"], lines.TakeWhile(l => !l.StartsWith("CUDA=", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Contains("CUDA=" + Gpu1Uuid, lines);
        // The image sets NVIDIA_VISIBLE_DEVICES=all; the launcher's value must win.
        Assert.Contains("NVIDIA=" + Gpu1Uuid, lines);
        Assert.True(lines.Contains("gpu1-usable"), logs);
        if (f.HandMadeNodesOpen)
        {
            // ENXIO: the open got past the permissions and the job's device filter to the (absent) driver.
            Assert.Contains(lines, l => l.EndsWith("nvidia1': No such device or address", StringComparison.Ordinal));
        }

        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task JobWithoutGpus_SeesNoGpuNode_AndVisibleDevicesVoid()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sh", "-c", "ls /dev/ptest-gpu 2>&1; echo NVIDIA=$NVIDIA_VISIBLE_DEVICES; echo end-of-check"]);

        string logs = await Jobs.WaitForLogAsync(f, f.Alice, job, "end-of-check");

        Assert.Contains("No such file or directory", logs, StringComparison.Ordinal);
        Assert.Contains("NVIDIA=void", logs, StringComparison.Ordinal);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task Run_GrantsTheOwnerAnAclOnExactlyTheAllocatedNode_AndStopRevokesIt()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"], gpus: ["1"]);

        Assert.Contains(AclEntry(f.Alice), await AclAsync(Gpu1));
        Assert.DoesNotContain(AclEntry(f.Alice), await AclAsync(Gpu0));
        Assert.True(await HasReadWriteAccessAsync(f.Alice, Gpu1));
        Assert.False(await HasReadWriteAccessAsync(f.Bob, Gpu1));
        Assert.False(await HasReadWriteAccessAsync(f.Alice, Gpu0));

        LauncherCall stop = await LauncherRunner.RunAsync(f, Requests.Stop(f.Alice.Name, job, 0));

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.DoesNotContain(AclEntry(f.Alice), await AclAsync(Gpu1));
        Assert.False(await HasReadWriteAccessAsync(f.Alice, Gpu1));
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task Remove_RevokesTheAcl()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"], gpus: ["1"]);
        Assert.True(await HasReadWriteAccessAsync(f.Alice, Gpu1));

        LauncherCall remove = await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));

        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.False(await HasReadWriteAccessAsync(f.Alice, Gpu1));
    }

    [Fact]
    public async Task Release_RevokesTheAclOfAFinishedJob()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["true"], gpus: ["1"]);
        await Jobs.WaitForStateAsync(f, f.Alice, job, "exited");
        Assert.True(await HasReadWriteAccessAsync(f.Alice, Gpu1));

        LauncherCall release = await LauncherRunner.RunAsync(f, Requests.Job("release", f.Alice.Name, job));

        Assert.True(release.ExitCode == 0, release.ToString());
        Assert.False(await HasReadWriteAccessAsync(f.Alice, Gpu1));
        Assert.Empty(LauncherRunner.PodmanStarts(release));
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    private static string AclEntry(TestUser user) => "user:" + user.Uid.ToString(CultureInfo.InvariantCulture) + ":rw-";

    private static Task<string> AclAsync(string node) => Shell.CheckedAsync("/usr/bin/getfacl", "--numeric", "--absolute-names", node);

    /// <summary>Whether the kernel grants <paramref name="user"/> read and write on the node (access(2), ACL included).</summary>
    private static async Task<bool> HasReadWriteAccessAsync(TestUser user, string node)
    {
        ShellResult r = await Shell.AsUserAsync(user, "/bin/sh", "-c", "test -r \"$0\" && test -w \"$0\" && echo usable", node);
        Assert.True(r.ExitCode is 0 or 1, $"permission check on {node} as {user.Name} failed to run: {r}");
        return r.ExitCode == 0 && r.Stdout.Contains("usable", StringComparison.Ordinal);
    }
}

using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// Device-node mode gives a GPU job the driver's user-space files: a fake driver (a real shared object with a soname,
/// a fake nvidia-smi, the kernel module's version file) below the test launcher's driver root is listed by
/// <c>driver-policy</c>, as the install does, and mounted read-only into GPU jobs, where the image's own loader finds
/// libcuda.so.1 by name; a job without a GPU gets none of it; a list naming anything else, or made for another driver
/// version, is refused.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class DriverFilesTests(LauncherFixture f) : IAsyncLifetime
{
    private const string DriverPolicyRequest = """{"version":1,"verb":"driver-policy"}""";

    public async Task InitializeAsync()
    {
        FakeDriver.Remove();
        await FakeDriver.InstallAsync(7);
        await FakeDriver.EnsureImageAsync(f.Bob);
        await WriteDiscoveredPolicyAsync();
    }

    public async Task DisposeAsync()
    {
        LauncherFixture.WritePolicy(manageDeviceAcls: true);
        FakeDriver.Remove();
        await LauncherFixture.RemoveAllContainersAsync(f.Bob);
    }

    [Fact]
    public async Task DriverPolicy_ListsTheLoadedDriversFiles_AndCheckSaysACudaJobCanWork()
    {
        string policy = await File.ReadAllTextAsync(LauncherFixture.PolicyPath);

        Assert.Contains("\"version\": \"0.0.7\"", policy, StringComparison.Ordinal);
        Assert.Contains($"{{\"path\": \"{FakeDriver.LibraryDir}/libcuda.so.0.0.7\", \"links\": [\"libcuda.so\", \"libcuda.so.1\"]}}", policy, StringComparison.Ordinal);
        Assert.Contains($"{{\"path\": \"{LauncherFixture.DriverRoot}/usr/bin/nvidia-smi\"}}", policy, StringComparison.Ordinal);
        CheckItem item = await DriverCheckAsync();
        Assert.True(item.Status == "ok", item.Detail);
        Assert.Contains("Device-node mode: driver 0.0.7", item.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGpuJob_FindsLibcudaWithItsOwnLoader_AndRunsNvidiaSmi_AndEveryDriverFileIsReadOnly()
    {
        string logs = await ProbeAsync(gpus: ["0"]);

        Assert.Contains("dlopen libcuda.so.1: loaded, cuDriverGetVersion 7", logs, StringComparison.Ordinal);
        Assert.Contains("NVIDIA-SMI 0.0.7 (fake driver)", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("for writing: opened", logs, StringComparison.Ordinal);
        string[] mounts = [.. logs.Split('\n').Where(l => l.StartsWith("mount: ", StringComparison.Ordinal))];
        // libcuda.so.0.0.7, its links libcuda.so.1 and libcuda.so, nvidia-smi: each a read-only mount.
        Assert.Equal(4, mounts.Length);
        Assert.All(mounts, m => Assert.StartsWith("ro", m.Split(' ')[6], StringComparison.Ordinal));
    }

    [Fact]
    public async Task AJobWithoutGpu_GetsNoDriverFile()
    {
        string logs = await ProbeAsync(gpus: null);

        Assert.Contains("dlopen libcuda.so.1: libcuda.so.1: cannot open shared object file", logs, StringComparison.Ordinal);
        Assert.Contains("exec nvidia-smi: No such file or directory", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("mount: ", logs, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/etc/ld.so.cache")]
    [InlineData("/usr/lib/x86_64-linux-gnu/libcuda.so.0.0.6")]
    [InlineData("/usr/bin/ldconfig")]
    public async Task APolicyNamingAFileOutsideTheDriversSet_IsRefused_AndNoJobStarts(string file)
    {
        string path = LauncherFixture.DriverRoot + file;
        await EditPolicyAsync(p => p.Replace($"{FakeDriver.LibraryDir}/libcuda.so.0.0.7\"", path + "\"", StringComparison.Ordinal));

        LauncherCall run = await LauncherRunner.RunAsync(f, ProbeRequest(LauncherRunner.NewJob(), ["0"]));

        Assert.True(run.ExitCode == LauncherExitCodes.PolicyError, run.ToString());
        Assert.Contains(path + " is not a driver 0.0.7 library", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(await ContainersAsync());
    }

    [Fact]
    public async Task ADriverFileOthersCanWrite_OrReplacedByASymlink_IsRefused_AndNoJobStarts()
    {
        string libcuda = $"{FakeDriver.LibraryDir}/libcuda.so.0.0.7";
        await Shell.CheckedAsync("/usr/bin/chmod", "g+w", libcuda);

        LauncherCall writable = await LauncherRunner.RunAsync(f, ProbeRequest(LauncherRunner.NewJob(), ["0"]));

        File.Move(libcuda, libcuda + ".real");
        File.CreateSymbolicLink(libcuda, "/etc/shadow");
        LauncherCall symlink = await LauncherRunner.RunAsync(f, ProbeRequest(LauncherRunner.NewJob(), ["0"]));

        Assert.True(writable.ExitCode == LauncherExitCodes.Refused, writable.ToString());
        Assert.Contains("libcuda.so.0.0.7: writable by group or others", writable.Stderr, StringComparison.Ordinal);
        Assert.True(symlink.ExitCode == LauncherExitCodes.Refused, symlink.ToString());
        Assert.Contains("libcuda.so.0.0.7: not a regular file (a symlink is refused)", symlink.Stderr, StringComparison.Ordinal);
        Assert.Empty(await ContainersAsync());
    }

    [Fact]
    public async Task AfterADriverUpgrade_CheckSaysTheListIsStale_GpuJobsAreRefused_AndARefreshGivesJobsTheNewDriver()
    {
        await FakeDriver.InstallAsync(8);

        CheckItem stale = await DriverCheckAsync();
        LauncherCall refused = await LauncherRunner.RunAsync(f, ProbeRequest(LauncherRunner.NewJob(), ["0"]));
        await WriteDiscoveredPolicyAsync();
        CheckItem fresh = await DriverCheckAsync();
        string logs = await ProbeAsync(gpus: ["0"]);

        Assert.Equal("fail", stale.Status);
        Assert.Contains("driver file list stale: the list was made for driver 0.0.7, the loaded driver is 0.0.8", stale.Detail, StringComparison.Ordinal);
        Assert.Contains("libcuda.so.0.0.7: not found", stale.Detail, StringComparison.Ordinal);
        Assert.Contains("deploy/install-launcher.sh", stale.Detail, StringComparison.Ordinal);
        Assert.True(refused.ExitCode == LauncherExitCodes.Refused, refused.ToString());
        Assert.Contains("the list was made for driver 0.0.7, the loaded driver is 0.0.8", refused.Stderr, StringComparison.Ordinal);
        Assert.True(fresh.Status == "ok", fresh.Detail);
        Assert.Contains("dlopen libcuda.so.1: loaded, cuDriverGetVersion 8", logs, StringComparison.Ordinal);
        Assert.Contains("NVIDIA-SMI 0.0.8 (fake driver)", logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileTheLoadedDriverHasButTheListLacks_MakesCheckWarnThatTheListIsStale()
    {
        await EditPolicyAsync(p => p.Replace($",\n    {{\"path\": \"{LauncherFixture.DriverRoot}/usr/bin/nvidia-smi\"}}", "", StringComparison.Ordinal));

        CheckItem item = await DriverCheckAsync();

        Assert.Equal("warn", item.Status);
        Assert.Contains($"also has {LauncherFixture.DriverRoot}/usr/bin/nvidia-smi", item.Detail, StringComparison.Ordinal);
    }

    /// <summary>The policy as the install writes it: the launcher's own <c>driver-policy</c> output, root's, 0644.</summary>
    private async Task WriteDiscoveredPolicyAsync()
    {
        LauncherCall call = await LauncherRunner.RunAsync(f, DriverPolicyRequest);
        Assert.True(call.ExitCode == 0, call.ToString());
        await File.WriteAllTextAsync(LauncherFixture.PolicyPath, call.Stdout);
    }

    private static async Task EditPolicyAsync(Func<string, string> edit)
    {
        string before = await File.ReadAllTextAsync(LauncherFixture.PolicyPath);
        string after = edit(before);
        Assert.NotEqual(before, after);
        await File.WriteAllTextAsync(LauncherFixture.PolicyPath, after);
    }

    private async Task<CheckItem> DriverCheckAsync()
    {
        LauncherCall call = await LauncherRunner.RunAsync(f, """{"version":1,"verb":"check"}""");
        return call.Response?.Checks?.SingleOrDefault(c => c.Name == "gpu-driver") ?? throw new InvalidOperationException("no gpu-driver item: " + call);
    }

    private string ProbeRequest(string job, string[]? gpus) =>
        Requests.Run(f.Bob.Name, job, [FakeDriver.Probe], gpus, image: FakeDriver.GlibcImage);

    private async Task<string> ProbeAsync(string[]? gpus)
    {
        string job = LauncherRunner.NewJob();
        await Jobs.StartAsync(f, ProbeRequest(job, gpus));
        string logs = await Jobs.WaitForLogAsync(f, f.Bob, job, FakeDriver.ProbeEnd);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Bob.Name, job));
        return logs;
    }

    private async Task<string[]> ContainersAsync()
    {
        ShellResult r = await LauncherFixture.PodmanAsync(f.Bob, "ps", "-a", "--format", "{{.Names}}");
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}

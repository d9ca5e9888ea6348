using System.Net;
using System.Net.Sockets;
using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// image-build with real rootless podman as a throwaway user: a Containerfile on the local busybox image builds into
/// the user's storage and runs; a RUN step has no network; a base that is not there is said to be missing (a build never
/// pulls); a build past the policy's deadline is killed and leaves no process, container or intermediate image; the
/// user's own podman configuration changes nothing about the build.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class ImageBuildTests(LauncherFixture f) : IAsyncLifetime
{
    private readonly string _context = Path.Combine(f.Bob.Home, "ptest-build-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _tag = "ptest-build-" + Guid.NewGuid().ToString("N")[..8] + ":v1";

    public Task InitializeAsync()
    {
        LauncherFixture.WritePolicy(manageDeviceAcls: true);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        LauncherFixture.WritePolicy(manageDeviceAcls: true);
        await LauncherFixture.PodmanAsync(f.Bob, "image", "rm", "--force", ImageBuildRules.LocalReference(_tag));
        if (Directory.Exists(_context))
        {
            Directory.Delete(_context, recursive: true);
        }
    }

    [Fact]
    public async Task ABuildOnTheLocalBusyboxImage_StreamsItsLog_EndsWithTheImageId_AndTheImageRuns()
    {
        await WriteContextAsync($"FROM {LauncherFixture.Image}\nRUN echo built-by-the-launcher > /x\nCMD [\"cat\", \"/x\"]\n");

        LauncherCall build = await LauncherRunner.RunAsync(f, Request(_context, _tag));

        Assert.True(build.ExitCode == 0, build.ToString());
        List<string> frames = Frames(build);
        Assert.Contains(frames, l => LogFrame.Parse(l) is { Stream: OutputChannel.Stdout, Text: var t } && t.StartsWith("STEP 2/3: RUN echo", StringComparison.Ordinal));
        string id = Assert.Single(frames.Select(BuildFrame.ImageId).OfType<string>());
        Assert.Equal(id, BuildFrame.ImageId(frames[^1]));
        ShellResult run = await LauncherFixture.PodmanAsync(f.Bob, "run", "--rm", ImageBuildRules.LocalReference(_tag));
        Assert.Equal("built-by-the-launcher", run.Stdout.Trim());
        ShellResult inspect = await LauncherFixture.PodmanAsync(f.Bob, "image", "inspect", "--format", "{{.Id}}", ImageBuildRules.LocalReference(_tag));
        Assert.Equal(id, inspect.Stdout.Trim());
        Assert.Contains(LauncherRunner.AuditRecords(build), r => r.GetProperty("decision").GetString() == "done");
    }

    [Fact]
    public async Task ARunStepThatTriesTheNetwork_Fails_EvenWhereThePolicyAllowsJobsANetwork()
    {
        // allowNetwork gives jobs slirp4netns by default: the build's own --network none must still hold. The target is
        // the host's own outside address, which slirp4netns would reach. /proc/net/dev is the namespace's own list
        // (a rootless build's /sys is the host's, so /sys/class/net would show the host's interfaces).
        LauncherFixture.WritePolicy(manageDeviceAcls: true, allowNetwork: true);
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string host = HostAddress();
        await WriteContextAsync($"FROM {LauncherFixture.Image}\nRUN cat /proc/net/dev\nRUN wget -q -T 3 -O /dev/null http://{host}:{port}/\n");

        LauncherCall build = await LauncherRunner.RunAsync(f, Request(_context, _tag));

        Assert.Equal(LauncherExitCodes.OperationFailed, build.ExitCode);
        List<string> lines = [.. Frames(build).Select(l => LogFrame.Parse(l).Text)];
        int step = lines.FindIndex(l => l.StartsWith("STEP 2/3: RUN cat /proc/net/dev", StringComparison.Ordinal));
        int next = lines.FindIndex(l => l.StartsWith("STEP 3/3: RUN wget", StringComparison.Ordinal));
        Assert.True(step >= 0 && next > step, build.ToString());
        List<string> interfaces = [.. lines[(step + 3)..next].Where(l => l.Contains(':', StringComparison.Ordinal) && !l.StartsWith("-->", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(':')[0])];
        Assert.Equal(["lo"], interfaces);
        Assert.False(listener.Pending(), "the build reached the host");
        Assert.Contains("podman build exited", build.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, (await LauncherFixture.PodmanAsync(f.Bob, "image", "exists", ImageBuildRules.LocalReference(_tag))).ExitCode);
    }

    [Fact]
    public async Task ABaseThatIsNotInTheUsersStorage_IsSaidToBeMissing_AndNothingIsPulled()
    {
        await WriteContextAsync("FROM localhost/ptest-no-such-base:1\nRUN true\n");

        LauncherCall build = await LauncherRunner.RunAsync(f, Request(_context, _tag));

        Assert.Equal(LauncherExitCodes.OperationFailed, build.ExitCode);
        Assert.Contains("portal-launcher: The base image is not in your image storage, and a build never pulls", build.Stderr, StringComparison.Ordinal);
        Assert.Contains("--pull=never", File.ReadAllText(LauncherRunner.PodmanStart(build, "build") + ".argv"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABuildPastThePolicysDeadline_IsKilled_AndLeavesNoProcessContainerOrIntermediateImage()
    {
        LauncherFixture.WritePolicy(manageDeviceAcls: true, imageBuildTimeoutSeconds: 10);
        await WriteContextAsync($"FROM {LauncherFixture.Image}\nRUN echo first-layer > /a\nRUN sleep 4242\n");
        string containersBefore = (await LauncherFixture.PodmanAsync(f.Bob, "ps", "--all", "--external", "--quiet", "--no-trunc")).Stdout;
        string imagesBefore = (await LauncherFixture.PodmanAsync(f.Bob, "images", "--all", "--quiet", "--no-trunc")).Stdout;

        LauncherCall build = await LauncherRunner.RunAsync(f, Request(_context, _tag));

        Assert.Equal(LauncherExitCodes.ToolTimedOut, build.ExitCode);
        Assert.Contains("within 10 s (the policy's imageBuildTimeoutSeconds)", build.Stderr, StringComparison.Ordinal);
        Assert.Contains(Frames(build), l => LogFrame.Parse(l).Text.StartsWith("STEP 3/3: RUN sleep 4242", StringComparison.Ordinal));
        Assert.Empty(Procs.Find(f.Bob.Uid, "sleep 4242"));
        Assert.Equal(containersBefore, (await LauncherFixture.PodmanAsync(f.Bob, "ps", "--all", "--external", "--quiet", "--no-trunc")).Stdout);
        Assert.Equal(imagesBefore, (await LauncherFixture.PodmanAsync(f.Bob, "images", "--all", "--quiet", "--no-trunc")).Stdout);
    }

    [Fact]
    public async Task TheUsersOwnPodmanConfiguration_ChangesNothingAboutTheBuild()
    {
        // A default volume of the host's /etc, a device, a mounts.conf entry, a registry alias for the base's short name.
        string config = Path.Combine(f.Bob.Home, ".config/containers");
        Directory.CreateDirectory(config);
        try
        {
            File.WriteAllText(config + "/containers.conf",
                "[containers]\nvolumes = [\"/etc:/host-etc:ro\"]\ndevices = [\"/dev/null:/dev/ptest-extra\"]\nnetns = \"host\"\n");
            File.WriteAllText(config + "/mounts.conf", "/etc:/host-etc-2\n");
            File.WriteAllText(config + "/registries.conf",
                "unqualified-search-registries = [\"127.0.0.1:1\"]\n[aliases]\n\"ptest-alias\" = \"127.0.0.1:1/evil/image\"\n");
            await Shell.CheckedAsync("/usr/bin/chown", "-R", $"{f.Bob.Uid}:{f.Bob.Gid}", Path.Combine(f.Bob.Home, ".config"));
            await WriteContextAsync($"FROM {LauncherFixture.Image}\n"
                + "RUN test ! -e /host-etc && test ! -e /host-etc-2 && test ! -e /dev/ptest-extra && ! grep -q -e eth0: -e tap0: /proc/net/dev && echo clean > /x\n");

            LauncherCall build = await LauncherRunner.RunAsync(f, Request(_context, _tag));
            await WriteContextAsync("FROM ptest-alias\nRUN true\n");
            LauncherCall alias = await LauncherRunner.RunAsync(f, Request(_context, _tag.Replace(":v1", ":alias", StringComparison.Ordinal)));

            Assert.True(build.ExitCode == 0, build.ToString());
            Assert.Equal(LauncherExitCodes.OperationFailed, alias.ExitCode);
            Assert.DoesNotContain("127.0.0.1:1", alias.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(config, recursive: true);
        }
    }

    [Fact]
    public async Task ANamedContainerfile_IsTheOneBuilt_AndASymlinkedOneIsRefused()
    {
        await WriteContextAsync("FROM localhost/ptest-no-such-base:1\n");
        File.WriteAllText(Path.Combine(_context, "Build.alt"), $"FROM {LauncherFixture.Image}\nRUN echo alt > /x\n");
        File.CreateSymbolicLink(Path.Combine(_context, "Linked"), "/etc/passwd");
        await Shell.CheckedAsync("/usr/bin/chown", "-hR", $"{f.Bob.Uid}:{f.Bob.Gid}", _context);

        LauncherCall named = await LauncherRunner.RunAsync(f, Request(_context, _tag, "Build.alt"));
        LauncherCall linked = await LauncherRunner.RunAsync(f, Request(_context, _tag, "Linked"));

        Assert.True(named.ExitCode == 0, named.ToString());
        Assert.Equal(LauncherExitCodes.Refused, linked.ExitCode);
        Assert.Contains("is not a plain file", linked.Stderr, StringComparison.Ordinal);
        Assert.Empty(LauncherRunner.PodmanStarts(linked));
    }

    [Fact]
    public async Task AFolderBobCannotRead_IsRefusedBeforePodman()
    {
        await WriteContextAsync($"FROM {LauncherFixture.Image}\n");
        await Shell.CheckedAsync("/usr/bin/chown", "root:root", _context);
        File.SetUnixFileMode(_context, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        LauncherCall build = await LauncherRunner.RunAsync(f, Request(_context, _tag));

        Assert.Equal(LauncherExitCodes.Refused, build.ExitCode);
        Assert.Contains("is not a folder ptest-bob can read", build.Stderr, StringComparison.Ordinal);
        Assert.Empty(LauncherRunner.PodmanStarts(build));
    }

    private async Task WriteContextAsync(string containerfile)
    {
        Directory.CreateDirectory(_context);
        File.WriteAllText(Path.Combine(_context, "Containerfile"), containerfile);
        await Shell.CheckedAsync("/usr/bin/chown", "-R", $"{f.Bob.Uid}:{f.Bob.Gid}", _context);
    }

    /// <summary>The host's first outside IPv4 address, where a container with a network could reach the test's listener.</summary>
    private static string HostAddress() =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up && n.NetworkInterfaceType != System.Net.NetworkInformation.NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)?.ToString() ?? "192.0.2.1";

    private static List<string> Frames(LauncherCall call) => [.. call.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    private string Request(string context, string tag, string? containerfile = null)
    {
        var build = new Dictionary<string, object> { ["context"] = context, ["tag"] = tag };
        if (containerfile is not null)
        {
            build["containerfile"] = containerfile;
        }

        return LauncherRunner.Json(new Dictionary<string, object>
        {
            ["version"] = 1,
            ["verb"] = LauncherVerbs.ImageBuild,
            ["user"] = f.Bob.Name,
            ["build"] = build,
        });
    }
}

/// <summary>The portal's client: a build's log arrives line by line, and cancelling ends the build and its leftovers.</summary>
[Collection(LauncherTestGroup.Name)]
public sealed class ImageBuildClientTests(LauncherFixture f) : IAsyncLifetime
{
    private readonly string _context = Path.Combine(f.Bob.Home, "ptest-build-" + Guid.NewGuid().ToString("N")[..8]);

    public async Task InitializeAsync()
    {
        LauncherFixture.WritePolicy(manageDeviceAcls: true);
        Directory.CreateDirectory(_context);
        File.WriteAllText(Path.Combine(_context, "Containerfile"), $"FROM {LauncherFixture.Image}\nRUN echo first-layer > /a\nRUN echo sleeping; sleep 4243\n");
        await Shell.CheckedAsync("/usr/bin/chown", "-R", $"{f.Bob.Uid}:{f.Bob.Gid}", _context);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_context, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task CancellingABuild_EndsIt_AndTheLauncherRemovesWhatItLeft()
    {
        string containersBefore = (await LauncherFixture.PodmanAsync(f.Bob, "ps", "--all", "--external", "--quiet", "--no-trunc")).Stdout;
        string imagesBefore = (await LauncherFixture.PodmanAsync(f.Bob, "images", "--all", "--quiet", "--no-trunc")).Stdout;
        var client = new Client.ProcessLauncher(new Client.LauncherOptions { LauncherPath = f.LauncherPath, UseSudo = false });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        List<LogLine> lines = [];

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.BuildImageAsync(f.Bob.Name,
            new BuildSpec { Context = _context, Tag = "ptest-build-cancelled:1" },
            async line =>
            {
                lines.Add(line);
                if (line.Text == "sleeping")
                {
                    await cancel.CancelAsync();
                }
            },
            TimeSpan.FromMinutes(5), cancel.Token));

        Assert.Contains(lines, l => l.Text.StartsWith("STEP 3/3: RUN echo sleeping", StringComparison.Ordinal));
        Assert.Empty(Procs.Find(f.Bob.Uid, "sleep 4243"));
        Assert.Equal(containersBefore, (await LauncherFixture.PodmanAsync(f.Bob, "ps", "--all", "--external", "--quiet", "--no-trunc")).Stdout);
        Assert.Equal(imagesBefore, (await LauncherFixture.PodmanAsync(f.Bob, "images", "--all", "--quiet", "--no-trunc")).Stdout);
    }
}

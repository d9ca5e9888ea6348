using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// Podman reads only the launcher's root-owned configuration: everything a user puts in ~/.config/containers to add a
/// device, a hook, another runtime, another storage or default mounts is ignored.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class PodmanConfigTests(LauncherFixture f)
{
    private static readonly string[] ConfigFiles = ["containers.conf", "storage.conf", "registries.conf", "mounts.conf"];

    [Fact]
    public async Task PodmansEnvironment_NamesTheRootOwnedConfiguration()
    {
        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name));

        Assert.True(call.ExitCode == 0, call.ToString());
        string env = File.ReadAllText(Assert.Single(LauncherRunner.PodmanStarts(call)) + ".env");
        foreach ((string name, string path) in LauncherFixture.PodmanConfigEnvironment)
        {
            Assert.Contains($"{name}={path}\0", env, StringComparison.Ordinal);
            Assert.Equal(0u, TestCgroups.Owner(path));
            Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(path));
        }

        Assert.Equal(0u, TestCgroups.Owner(LauncherFixture.StateDir + "/podman"));
    }

    [Fact]
    public async Task TheUsersOwnPodmanConfiguration_IsIgnored()
    {
        string config = Path.Combine(f.Alice.Home, ".config/containers");
        string marker = Path.Combine(f.Alice.Home, "ptest-evil-ran");
        string job = LauncherRunner.NewJob();
        Directory.CreateDirectory(config + "/containers.conf.d");
        Directory.CreateDirectory(config + "/hooks");
        try
        {
            string evilConf = $"""
                [containers]
                devices = ["/dev/ptest-gpu/nvidia0:/dev/nvidia0:rwm", "/dev/fuse:/dev/fuse:rwm"]
                env = ["PTEST_EVIL=1"]
                [engine]
                hooks_dir = ["{config}/hooks"]
                runtime = "evil"
                [engine.runtimes]
                evil = ["{f.Alice.Home}/ptest-evil-runtime"]
                """;
            File.WriteAllText(config + "/containers.conf", evilConf);
            File.WriteAllText(config + "/containers.conf.d/evil.conf", evilConf);
            File.WriteAllText(config + "/storage.conf", $"[storage]\ndriver = \"vfs\"\ngraphroot = \"{f.Alice.Home}/ptest-evil-storage\"\n");
            File.WriteAllText(config + "/registries.conf", "unqualified-search-registries = [\"evil.example\"]\n");
            File.WriteAllText(config + "/mounts.conf", "/etc/hostname:/run/ptest-evil-mount\n");
            File.WriteAllText(config + "/hooks/evil.json",
                $$"""{"version":"1.0.0","hook":{"path":"{{f.Alice.Home}}/ptest-evil-hook"},"when":{"always":true},"stages":["prestart"]}""");
            foreach (string tool in new[] { "ptest-evil-runtime", "ptest-evil-hook" })
            {
                File.WriteAllText(Path.Combine(f.Alice.Home, tool), $"#!/bin/sh\ntouch {marker}\nexec /usr/bin/runc \"$@\"\n");
                File.SetUnixFileMode(Path.Combine(f.Alice.Home, tool), (UnixFileMode)0b111_101_101);
            }

            await Shell.CheckedAsync("/usr/bin/chown", "-R", $"{f.Alice.Uid}:{f.Alice.Gid}", Path.Combine(f.Alice.Home, ".config"));
            await Jobs.StartAsync(f, Requests.Run(f.Alice.Name, job,
                ["sh", "-c", "ls /dev/nvidia0 /dev/fuse /run/ptest-evil-mount 2>&1; echo EVIL=$PTEST_EVIL; echo end-of-check"]));

            string logs = await Jobs.WaitForLogAsync(f, f.Alice, job, "end-of-check");

            Assert.Contains("/dev/nvidia0: No such file or directory", logs, StringComparison.Ordinal);
            Assert.Contains("/dev/fuse: No such file or directory", logs, StringComparison.Ordinal);
            Assert.Contains("/run/ptest-evil-mount: No such file or directory", logs, StringComparison.Ordinal);
            Assert.Contains("EVIL=\n", logs, StringComparison.Ordinal);
            Assert.False(File.Exists(marker), "the user's runtime or hook ran");
            Assert.False(Directory.Exists(Path.Combine(f.Alice.Home, "ptest-evil-storage")));
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
            Directory.Delete(config, recursive: true);
            foreach (string leftover in new[] { marker, Path.Combine(f.Alice.Home, "ptest-evil-runtime"), Path.Combine(f.Alice.Home, "ptest-evil-hook") })
            {
                File.Delete(leftover);
            }
        }
    }

    [Fact]
    public async Task StorageMadeWithVfs_KeepsWorking_AndCheckSaysSo_WhileNewStorageIsOverlay()
    {
        LauncherCall alice = await LauncherRunner.RunAsync(f, Requests.User("check", f.Alice.Name));
        LauncherCall bob = await LauncherRunner.RunAsync(f, Requests.User("check", f.Bob.Name));
        string aliceJob = await Jobs.StartAsync(f, f.Alice, ["echo", "vfs-works"]);
        string bobJob = await Jobs.StartAsync(f, f.Bob, ["echo", "overlay-works"]);
        try
        {
            var aliceStorage = Assert.Single(alice.Response!.Checks!, c => c.Name == "storage");
            var bobStorage = Assert.Single(bob.Response!.Checks!, c => c.Name == "storage");
            Assert.Equal("warn", aliceStorage.Status);
            Assert.Contains("vfs", aliceStorage.Detail, StringComparison.Ordinal);
            Assert.Equal("ok", bobStorage.Status);
            Assert.Contains("overlay", bobStorage.Detail, StringComparison.Ordinal);
            await Jobs.WaitForLogAsync(f, f.Alice, aliceJob, "vfs-works");
            await Jobs.WaitForLogAsync(f, f.Bob, bobJob, "overlay-works");
            Assert.True(Directory.Exists(Path.Combine(f.Bob.Home, ".local/share/containers/storage/overlay-containers")));
            var podmanConfig = Assert.Single(bob.Response!.Checks!, c => c.Name == "podman-config");
            Assert.Equal("ok", podmanConfig.Status);
            Assert.Contains("root's", podmanConfig.Detail, StringComparison.Ordinal);
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, aliceJob));
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Bob.Name, bobJob));
        }
    }

    [Fact]
    public async Task AConfigurationFileSomeoneElseChanged_IsRewrittenAsRootsOnTheNextCall()
    {
        string conf = LauncherFixture.PodmanConfigEnvironment["CONTAINERS_CONF"];
        File.AppendAllText(conf, "\n[containers]\ndevices = [\"/dev/fuse\"]\n");

        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name));

        Assert.True(call.ExitCode == 0, call.ToString());
        Assert.DoesNotContain("/dev/fuse", File.ReadAllText(conf), StringComparison.Ordinal);
        Assert.All(ConfigFiles, file => Assert.Equal(0u, TestCgroups.Owner(LauncherFixture.StateDir + "/podman/" + file)));
    }
}

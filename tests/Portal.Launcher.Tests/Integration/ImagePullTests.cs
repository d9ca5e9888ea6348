using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// image-pull reaches a real registry on 127.0.0.1 only when the policy lists it, whatever the user's own podman
/// configuration says; image-remove takes the image out of the user's storage, never one a container still uses.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class ImagePullTests(LauncherFixture f) : IAsyncLifetime
{
    private const string Name = "ptest-pull/busybox:1";
    private LocalRegistry _registry = null!;

    public async Task InitializeAsync()
    {
        _registry = await LocalRegistry.StartAsync();
        await _registry.PushBusyboxAsync(Name);
    }

    public async Task DisposeAsync()
    {
        LauncherFixture.WritePolicy(manageDeviceAcls: true);
        await LauncherFixture.PodmanAsync(f.Bob, "image", "rm", "--force", $"{_registry.Host}/{Name}");
        await _registry.DisposeAsync();
    }

    [Fact]
    public async Task APullFromTheAllowedRegistry_PutsTheImageInTheUsersStorage_AndImageRemoveTakesItOut()
    {
        LauncherFixture.WritePolicy(manageDeviceAcls: true, registries: [(_registry.Host, true)]);
        string reference = $"{_registry.Host}/{Name}";

        LauncherCall pull = await LauncherRunner.RunAsync(f, Image(LauncherVerbs.ImagePull, f.Bob.Name, reference));

        Assert.True(pull.ExitCode == 0, pull.ToString());
        Assert.Matches("^[0-9a-f]{64}$", pull.Response!.ImageId);
        await Wait.UntilAsync(() => Task.FromResult(_registry.Log), log => log.Contains("\"GET /v2/ptest-pull/busybox/manifests/1 HTTP/1.1\" 200", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the registry to log the pull's manifest request");
        LauncherCall images = await LauncherRunner.RunAsync(f, Requests.User(LauncherVerbs.Images, f.Bob.Name));
        ImageInfo image = Assert.Single(images.Response!.Images!, i => i.Names.Contains(reference));
        Assert.Equal(pull.Response.ImageId, image.Id);

        LauncherCall remove = await LauncherRunner.RunAsync(f, Image(LauncherVerbs.ImageRemove, f.Bob.Name, reference));

        Assert.True(remove.ExitCode == 0, remove.ToString());
        images = await LauncherRunner.RunAsync(f, Requests.User(LauncherVerbs.Images, f.Bob.Name));
        Assert.DoesNotContain(images.Response!.Images!, i => i.Names.Contains(reference));
    }

    [Fact]
    public async Task APullFromARegistryThePolicyLeavesOut_IsRefusedBeforePodman_EvenWhenTheUsersRegistriesConfListsIt()
    {
        // The policy allows another registry; the user's own registries.conf makes this one searchable and insecure.
        LauncherFixture.WritePolicy(manageDeviceAcls: true, registries: [("127.0.0.1:1", true)]);
        string config = Path.Combine(f.Bob.Home, ".config/containers");
        Directory.CreateDirectory(config);
        try
        {
            File.WriteAllText(config + "/registries.conf",
                $"unqualified-search-registries = [\"{_registry.Host}\"]\n[[registry]]\nlocation = \"{_registry.Host}\"\ninsecure = true\n");
            await Shell.CheckedAsync("/usr/bin/chown", "-R", $"{f.Bob.Uid}:{f.Bob.Gid}", Path.Combine(f.Bob.Home, ".config"));

            int logged = _registry.Log.Length;
            LauncherCall full = await LauncherRunner.RunAsync(f, Image(LauncherVerbs.ImagePull, f.Bob.Name, $"{_registry.Host}/{Name}"));
            LauncherCall shortName = await LauncherRunner.RunAsync(f, Image(LauncherVerbs.ImagePull, f.Bob.Name, Name));

            Assert.Equal(LauncherExitCodes.Refused, full.ExitCode);
            Assert.Contains($"The registry '{_registry.Host}' is not allowed here", full.Response!.Error, StringComparison.Ordinal);
            Assert.Equal(LauncherExitCodes.Refused, shortName.ExitCode);
            Assert.Contains("names no registry", shortName.Response!.Error, StringComparison.Ordinal);
            Assert.Empty(LauncherRunner.PodmanStarts(full));
            Assert.Empty(LauncherRunner.PodmanStarts(shortName));
            Assert.DoesNotContain("ptest-pull", _registry.Log[logged..], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(config, recursive: true);
        }
    }

    [Fact]
    public async Task APull_IsRefused_WhileTheUsersHomeHasARegistriesDropInFolder()
    {
        // containers/image reads ~/.config/containers/registries.conf.d even when CONTAINERS_REGISTRIES_CONF is set: a
        // drop-in could make the allowed registry a mirror of one the policy leaves out.
        LauncherFixture.WritePolicy(manageDeviceAcls: true, registries: [(_registry.Host, true)]);
        string dropIns = Path.Combine(f.Bob.Home, ".config/containers/registries.conf.d");
        Directory.CreateDirectory(dropIns);
        try
        {
            File.WriteAllText(dropIns + "/mirror.conf",
                $"[[registry]]\nlocation = \"{_registry.Host}\"\n[[registry.mirror]]\nlocation = \"evil.example\"\n");
            await Shell.CheckedAsync("/usr/bin/chown", "-R", $"{f.Bob.Uid}:{f.Bob.Gid}", Path.Combine(f.Bob.Home, ".config"));

            int logged = _registry.Log.Length;
            LauncherCall pull = await LauncherRunner.RunAsync(f, Image(LauncherVerbs.ImagePull, f.Bob.Name, $"{_registry.Host}/{Name}"));

            Assert.Equal(LauncherExitCodes.Refused, pull.ExitCode);
            Assert.Empty(LauncherRunner.PodmanStarts(pull));
            Assert.Contains("registries.conf.d exists", pull.Response!.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("ptest-pull", _registry.Log[logged..], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.Combine(f.Bob.Home, ".config/containers"), recursive: true);
        }
    }

    [Fact]
    public async Task ImageRemove_LeavesAnImageAContainerStillUses_AndSaysSo()
    {
        LauncherFixture.WritePolicy(manageDeviceAcls: true, registries: [(_registry.Host, true)]);
        string reference = $"{_registry.Host}/{Name}";
        LauncherCall pull = await LauncherRunner.RunAsync(f, Image(LauncherVerbs.ImagePull, f.Bob.Name, reference));
        Assert.True(pull.ExitCode == 0, pull.ToString());
        await LauncherFixture.PodmanAsync(f.Bob, "create", "--name", "ptest-image-user", reference, "true");
        try
        {
            LauncherCall remove = await LauncherRunner.RunAsync(f, Image(LauncherVerbs.ImageRemove, f.Bob.Name, reference));

            Assert.Equal(LauncherExitCodes.OperationFailed, remove.ExitCode);
            Assert.Contains("in use", remove.Response!.Error, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(0, (await LauncherFixture.PodmanAsync(f.Bob, "image", "exists", reference)).ExitCode);
        }
        finally
        {
            await LauncherFixture.PodmanAsync(f.Bob, "rm", "--force", "ptest-image-user");
        }
    }

    private static string Image(string verb, string user, string reference) => LauncherRunner.Json(new Dictionary<string, object>
    {
        ["version"] = 1,
        ["verb"] = verb,
        ["user"] = user,
        ["image"] = new Dictionary<string, object> { ["reference"] = reference },
    });
}

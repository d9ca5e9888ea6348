using System.Globalization;
using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

[Collection(LauncherTestGroup.Name)]
public sealed class ProvisionUserTests(LauncherFixture f)
{
    [Fact]
    public async Task ManyUsersProvisionedAtOnce_GetSubIdRangesThatNeverOverlap()
    {
        string[] names = [.. Enumerable.Range(0, 8).Select(i => "ptest-prov-" + i.ToString(CultureInfo.InvariantCulture))];
        foreach (string name in names)
        {
            await DeleteUserAsync(name);
        }

        LauncherCall[] calls = await Task.WhenAll(names.Select(n => LauncherRunner.RunAsync(f, Requests.User("provision-user", n))));

        Assert.All(calls, c => Assert.True(c.ExitCode == 0 && c.Response!.Provisioned!.Created, c.ToString()));
        foreach (string file in new[] { "/etc/subuid", "/etc/subgid" })
        {
            var ranges = File.ReadAllLines(file).Select(l => l.Split(':')).Where(p => p.Length == 3)
                .Select(p => (Owner: p[0], Start: long.Parse(p[1], CultureInfo.InvariantCulture), Count: long.Parse(p[2], CultureInfo.InvariantCulture))).ToList();
            foreach (var mine in ranges.Where(r => names.Contains(r.Owner)))
            {
                Assert.DoesNotContain(ranges, other => other.Owner != mine.Owner && other.Start < mine.Start + mine.Count && mine.Start < other.Start + other.Count);
            }

            Assert.Equal(names.Length, ranges.Count(r => names.Contains(r.Owner)));
        }

        foreach (string name in names)
        {
            await DeleteUserAsync(name);
        }
    }

    [Fact]
    public async Task AProvisionedAccount_IsInThePolicyGroup_AndItsFirstRootlessRunWorks()
    {
        const string name = "ptest-prov-run";
        await DeleteUserAsync(name);

        LauncherCall provision = await LauncherRunner.RunAsync(f, Requests.User("provision-user", name));

        Assert.True(provision.ExitCode == 0, provision.ToString());
        ProvisionResult account = provision.Response!.Provisioned!;
        Assert.Contains(LauncherFixture.Group, (await Shell.CheckedAsync("/usr/bin/id", "-nG", name)).Split(' ', StringSplitOptions.TrimEntries));
        Assert.True(Directory.Exists(account.Home));

        // The launcher's first podman call as the new user creates its runtime directory and storage.
        LauncherCall images = await LauncherRunner.RunAsync(f, Requests.User("images", name));
        Assert.True(images.ExitCode == 0, images.ToString());
        string runtimeDir = "/run/user/" + account.Uid.ToString(CultureInfo.InvariantCulture);
        Assert.Equal($"{name} 700 directory", (await Shell.CheckedAsync("/usr/bin/stat", "-c", "%U %a %F", runtimeDir)).Trim());
        var user = new TestUser(name, (uint)account.Uid, (uint)account.Gid, account.Home);
        ShellResult import = await Shell.AsUserAsync(user, "/usr/bin/podman", "import", LauncherFixture.Root + "/busybox-rootfs.tar", LauncherFixture.Image);
        Assert.True(import.ExitCode == 0, import.ToString());

        string job = await Jobs.StartAsync(f, user, ["sh", "-c", "echo first-run-works"]);
        var state = await Jobs.WaitForStateAsync(f, user, job, "exited");

        Assert.Equal(0, state.ExitCode);
        Assert.Contains("first-run-works", await Jobs.WaitForLogAsync(f, user, job, "first-run-works"), StringComparison.Ordinal);
        await LauncherRunner.RunAsync(f, Requests.Remove(name, job));
        await DeleteUserAsync(name);
    }

    [Fact]
    public async Task ProvisioningAnExistingAccount_KeepsItsRange()
    {
        const string name = "ptest-prov-again";
        await DeleteUserAsync(name);
        LauncherCall first = await LauncherRunner.RunAsync(f, Requests.User("provision-user", name));

        LauncherCall second = await LauncherRunner.RunAsync(f, Requests.User("provision-user", name));

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.False(second.Response!.Provisioned!.Created);
        Assert.Equal(first.Response!.Provisioned!.SubIdStart, second.Response.Provisioned.SubIdStart);
        await DeleteUserAsync(name);
    }

    /// <summary>Removes the account, its containers' processes, home and subordinate ranges (userdel drops those).</summary>
    private static async Task DeleteUserAsync(string name)
    {
        ShellResult id = await Shell.RunAsync("/usr/bin/id", ["-u", name]);
        if (id.ExitCode != 0)
        {
            return;
        }

        await Procs.KillAllAsync(uint.Parse(id.Stdout.Trim(), CultureInfo.InvariantCulture));
        await Shell.CheckedAsync("/usr/sbin/userdel", "--remove", name);
    }
}

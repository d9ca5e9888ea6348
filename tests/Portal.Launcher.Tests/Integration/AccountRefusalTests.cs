using System.Globalization;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// Accounts the launcher never acts as, made real: a member of a privileged group, a home outside the home roots, and a
/// job owner whose subordinate ids cover a real account. Every group, account and membership made here is undone.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class AccountRefusalTests(LauncherFixture f)
{
    [Theory]
    [InlineData("sudo")]
    [InlineData("docker")]
    [InlineData("portal")]
    [InlineData(LauncherFixture.ExtraPrivilegedGroup)]
    public async Task AMemberOfAPrivilegedGroup_IsRefused(string group)
    {
        bool created = (await Shell.RunAsync("/usr/bin/getent", ["group", group])).ExitCode != 0;
        if (created)
        {
            await Shell.CheckedAsync("/usr/sbin/groupadd", group);
        }

        try
        {
            await Shell.CheckedAsync("/usr/bin/gpasswd", "-a", f.Bob.Name, group);

            LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("list", f.Bob.Name));

            Assert.Equal(2, call.ExitCode);
            Assert.Contains($"privileged group '{group}'", call.Response!.Error, StringComparison.Ordinal);
            Assert.Empty(LauncherRunner.PodmanStarts(call));
        }
        finally
        {
            await Shell.RunAsync("/usr/bin/gpasswd", ["-d", f.Bob.Name, group]);
            if (created)
            {
                await Shell.RunAsync("/usr/sbin/groupdel", [group]);
            }
        }
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/var/lib/portal-launcher-test")]
    public async Task AnAccountWhoseHomeIsOutsideTheHomeRoots_IsRefused(string home)
    {
        const string name = "ptest-oddhome";
        await Shell.RunAsync("/usr/sbin/userdel", [name]);
        await Shell.CheckedAsync("/usr/sbin/useradd", "-M", "-d", home, "-G", LauncherFixture.Group, "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name);
        try
        {
            LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("list", name));

            Assert.Equal(2, call.ExitCode);
            Assert.Contains("not below the policy's home roots", call.Response!.Error, StringComparison.Ordinal);
        }
        finally
        {
            await Shell.CheckedAsync("/usr/sbin/userdel", name);
        }
    }

    [Fact]
    public async Task AJobOwnerWhoseSubordinateIdsCoverARealAccount_IsRefused_AndCheckFlagsIt()
    {
        const string name = "ptest-clash";
        string line = File.ReadAllLines("/etc/subuid").Single(l => l.StartsWith(f.Bob.Name + ":", StringComparison.Ordinal));
        long inside = long.Parse(line.Split(':')[1], CultureInfo.InvariantCulture) + 7;
        await Shell.RunAsync("/usr/sbin/userdel", [name]);
        await Shell.CheckedAsync("/usr/sbin/useradd", "-M", "-u", inside.ToString(CultureInfo.InvariantCulture), "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name);
        try
        {
            LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Bob.Name, LauncherRunner.NewJob(), ["true"]));
            LauncherCall check = await LauncherRunner.RunAsync(f, """{"version":1,"verb":"check"}""");

            Assert.Equal(2, run.ExitCode);
            Assert.Contains($"cover the account '{name}'", run.Response!.Error, StringComparison.Ordinal);
            Assert.Empty(LauncherRunner.PodmanStarts(run));
            var item = check.Response!.Checks!.Single(c => c.Name == "subid-overlap");
            Assert.Equal("fail", item.Status);
            Assert.Contains($"covers user {name}", item.Detail, StringComparison.Ordinal);
        }
        finally
        {
            await Shell.CheckedAsync("/usr/sbin/userdel", name);
        }
    }
}

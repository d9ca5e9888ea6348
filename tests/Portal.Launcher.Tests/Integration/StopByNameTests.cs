using System.Diagnostics;
using System.Globalization;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>Stop acts by container name, as the owner, never on a PID that may since belong to someone else.</summary>
[Collection(LauncherTestGroup.Name)]
public sealed class StopByNameTests(LauncherFixture f)
{
    [Fact]
    public async Task StopOfAFinishedJob_CannotReachAnotherUsersProcess()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["true"]);
        var exited = await Jobs.WaitForStateAsync(f, f.Alice, job, "exited");
        using Process bobs = StartAsBob("sleep", "300");

        LauncherCall stop = await LauncherRunner.RunAsync(f, Requests.Stop(f.Alice.Name, job, 0));

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Null(exited.Pid);
        Assert.False(bobs.HasExited);
        string argv = File.ReadAllText(Assert.Single(LauncherRunner.PodmanStarts(stop)) + ".argv");
        Assert.Contains("portal-job-" + job, argv, StringComparison.Ordinal);
        bobs.Kill();
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task ARequestNamingAPid_IsRefused_AndThatProcessLives()
    {
        using Process bobs = StartAsBob("sleep", "300");
        string request = $$"""{"version":1,"verb":"stop","user":"ptest-alice","job":"x1","pid":{{bobs.Id.ToString(CultureInfo.InvariantCulture)}}}""";

        LauncherCall stop = await LauncherRunner.RunAsync(f, request);

        Assert.Equal(2, stop.ExitCode);
        Assert.Empty(LauncherRunner.PodmanStarts(stop));
        Assert.False(bobs.HasExited);
        bobs.Kill();
    }

    private Process StartAsBob(params string[] command)
    {
        var psi = new ProcessStartInfo("/usr/bin/setpriv") { UseShellExecute = false };
        foreach (string a in (string[])["--reuid", f.Bob.Uid.ToString(CultureInfo.InvariantCulture), "--regid", f.Bob.Gid.ToString(CultureInfo.InvariantCulture), "--init-groups", "--", .. command])
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
    }
}

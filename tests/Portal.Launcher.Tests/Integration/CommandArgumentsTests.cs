using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// The job's command follows the image after "--", as separate argv items: podman never parses it. Words that look
/// like podman options are the program's own arguments, reach it unchanged and grant nothing (docs/launcher.md).
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class CommandArgumentsTests(LauncherFixture f)
{
    private static readonly string[] OptionLookalikes =
    [
        "--privileged", "--volume=/etc:/x", "-v", "/:/host", "--cap-add=ALL", "--security-opt=seccomp=unconfined",
        "--userns=host", "--pid=host", "--network=host", "--device=/dev/mem", "--runtime=/bin/sh",
    ];

    [Fact]
    public async Task Podman_options_in_the_command_reach_the_program_as_plain_arguments_and_grant_nothing()
    {
        const string Script = """
            for a; do echo "arg=[$a]"; done
            grep CapEff /proc/self/status
            echo "pid1=$(cat /proc/1/comm)"
            test -e /x && echo "x=mounted" || echo "x=absent"
            test -e /host && echo "host=mounted" || echo "host=absent"
            echo "interfaces=$(ls /sys/class/net | tr '\n' ' ')"
            echo done
            """;
        string job = LauncherRunner.NewJob();

        LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, job, ["sh", "-c", Script, "sh", .. OptionLookalikes]));

        try
        {
            Assert.True(run.ExitCode == 0, run.ToString());
            string[] argv = File.ReadAllText(Assert.Single(LauncherRunner.PodmanStarts(run)) + ".argv").Split('\0')[..^1];
            Assert.Equal(["--", LauncherFixture.Image, "sh", "-c", Script, "sh", .. OptionLookalikes], argv[^(OptionLookalikes.Length + 6)..]);
            Assert.Equal(1, argv.Count(a => a == "--privileged"));
            string log = await Jobs.WaitForLogAsync(f, f.Alice, job, "done");
            Assert.All(OptionLookalikes, o => Assert.Contains($"arg=[{o}]", log, StringComparison.Ordinal));
            Assert.Contains("CapEff:\t0000000000000000", log, StringComparison.Ordinal);
            Assert.Contains("pid1=sh", log, StringComparison.Ordinal);
            Assert.Contains("x=absent", log, StringComparison.Ordinal);
            Assert.Contains("host=absent", log, StringComparison.Ordinal);
            Assert.Contains("interfaces=lo ", log, StringComparison.Ordinal);
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }
}

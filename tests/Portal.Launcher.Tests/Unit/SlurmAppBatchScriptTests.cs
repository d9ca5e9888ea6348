using System.Diagnostics;
using System.Text;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;
using Portal.Launcher.Slurm;

namespace Portal.Launcher.Tests.Unit;

/// <summary>
/// An app's batch script, run by bash as Slurm would run it, with a stand-in podman that records each call (a run's
/// argv in a file named after its container) and plays a container that runs until it is stopped: the order of the
/// services, their GPUs, their environment files, the health-checked waits and the clean-up, whichever way it ends.
/// </summary>
[Collection(BatchScriptGroup.Name)]
public sealed class SlurmAppBatchScriptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("portal-app-script-").FullName;

    // The script makes a private runtime directory under /tmp (there is no /run/user/UID here); the test removes one it caused.
    private readonly bool _fallbackExisted = Directory.Exists(SlurmBatchScriptTests.FallbackRuntimeDirectory());

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        string fallback = SlurmBatchScriptTests.FallbackRuntimeDirectory();
        if (!_fallbackExisted && Directory.Exists(fallback))
        {
            Directory.Delete(fallback, recursive: true);
        }
    }

    private string FakePodman => Path.Combine(_dir, "podman");

    private LauncherPolicy Policy(string gpuDevices = "cdi") => SlurmRequestTests.Policy with
    {
        Slurm = SlurmRequestTests.Slurm with { NodePodman = FakePodman, GpuDevices = gpuDevices, NodeBridge = "/opt/portal/sockbridge" },
        GpuControlNodes = ["/dev/nvidiactl"],
    };

    private static AppServiceSpec Service(string name, int gpus = 0, IReadOnlyList<string>? command = null) => new()
    {
        Name = name, Run = new RunSpec { Image = "localhost/busybox:latest", Command = command ?? ["sleep", "1"] }, GpuCount = gpus,
    };

    private static readonly HealthcheckSpec Check = new() { Test = ["CMD", "true"], IntervalSeconds = 1, TimeoutSeconds = 1, Retries = 2 };

    private string Generate(AppSpec app, IReadOnlyList<string?>? envFiles = null) =>
        AppBatchScript.Generate("42", app, "alice", Policy(), envFiles ?? [.. app.Services.Select(_ => (string?)null)],
            [.. app.Services.Select(_ => (IReadOnlyList<(string, string, bool)>)[])], _dir);

    [Fact]
    public void TheRequestsWords_ReachPodmanUnchanged_AndNoneOfThemRuns()
    {
        string[] hostile = ["it's", "$(touch " + _dir + "/pwned)", "`touch " + _dir + "/pwned`", "a\nb", "#SBATCH --uid=0", "${HOME}", "*", "--", ""];

        Result r = Run(Generate(new AppSpec { Services = [Service("web", command: ["echo", .. hostile])] }));

        Assert.Equal(0, r.ExitCode);
        List<string> argv = r.Runs["web"];
        Assert.Equal(["echo", .. hostile], argv[(argv.IndexOf("localhost/busybox:latest") + 1)..]);
        Assert.False(File.Exists(Path.Combine(_dir, "pwned")));
        Assert.Contains("--cap-drop", argv);
        Assert.Equal("portal-app-42-slurm-7", argv[argv.IndexOf("--pod") + 1]);
        Assert.Contains("portal.service=web", argv);
        Assert.DoesNotContain("--network", argv);
    }

    [Fact]
    public void SlurmsGpus_GoToTheServicesInStartOrder_EachSeeingItsOwnFromZero()
    {
        Result r = Run(Generate(new AppSpec { Services = [Service("a", 1), Service("b"), Service("c", 2)] }), allocated: "4,5,6");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("nvidia.com/gpu=4|0", Gpus(r.Runs["a"]));
        Assert.Equal("|void", Gpus(r.Runs["b"]));
        Assert.Equal("nvidia.com/gpu=5,nvidia.com/gpu=6|0,1", Gpus(r.Runs["c"]));
    }

    [Fact]
    public void AnAllocationThatDoesNotMatchTheServices_StartsNothing()
    {
        Result r = Run(Generate(new AppSpec { Services = [Service("a", 2)] }), allocated: "0");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Slurm allocated 1 GPUs; the app's services take 2", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(r.Runs);
    }

    [Fact]
    public void EachServiceReadsOnlyItsOwnEnvironmentFile_WhichIsGoneBeforeAnyServiceRuns()
    {
        string dbEnv = Path.Combine(_dir, "db.env");
        File.WriteAllText(dbEnv, "SECRET=db-only\n");

        Result r = Run(Generate(new AppSpec { Services = [Service("db"), Service("web")] }, [dbEnv, null]));

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("SECRET=db-only\n", File.ReadAllText(Path.Combine(_dir, "env-portal-app-42-slurm-7-db")));
        Assert.False(File.Exists(Path.Combine(_dir, "env-portal-app-42-slurm-7-web")));
        Assert.DoesNotContain("--env-file", r.Runs["web"]);
        Assert.False(File.Exists(dbEnv));
    }

    [Fact]
    public void ADependent_WaitsForItsDependencysHealth_AndAServiceThatNeverBecomesHealthy_FailsTheAppAndRemovesThePod()
    {
        File.WriteAllText(Path.Combine(_dir, "health-portal-app-42-slurm-7-db"), "1");
        var app = new AppSpec
        {
            Volumes = ["data"],
            Services = [Service("db") with { Healthcheck = Check }, Service("web") with { DependsOn = [new DependencySpec { Service = "db", Condition = DependencyConditions.Healthy }] }],
        };

        Result r = Run(Generate(app), hold: true);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("portal: service 'db' did not become healthy (2 failed checks)", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(["db"], r.Runs.Keys);
        Assert.Contains("pod stop", r.Calls);
        Assert.Contains("pod rm", r.Calls);
        Assert.Contains("volume rm", r.Calls);
    }

    [Fact]
    public void APodmanThatNeverStartsItsContainer_FailsTheApp_AndStartsNoLaterService()
    {
        File.WriteAllText(Path.Combine(_dir, "broken-portal-app-42-slurm-7-db"), "");

        Result r = Run(Generate(new AppSpec { Services = [Service("db"), Service("web")] }));

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("portal: service 'db' did not start", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("web", r.Runs.Keys);
        Assert.Contains("pod rm", r.Calls);
    }

    [Fact]
    public async Task ATermFromSlurm_StopsThePod_AndTheScriptThenRemovesEverythingItMade()
    {
        var app = new AppSpec { Volumes = ["data"], Services = [Service("db"), Service("web") with { Run = Service("web").Run with { Command = ["httpd"], Session = new SessionSpec { BridgePort = 8080 } } }] };
        using Process bash = Start(Generate(app), "", hold: true);
        string running = Path.Combine(_dir, "running-portal-app-42-slurm-7-web");
        var waited = Stopwatch.StartNew();
        while (!File.Exists(running) && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        await Task.Delay(300);
        using (Process kill = Process.Start("/bin/kill", ["-TERM", bash.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
        }
        Result r = Finish(bash);

        Assert.Contains("pod stop", r.Calls);
        Assert.Contains("pod rm", r.Calls);
        Assert.Contains("volume rm", r.Calls);
        // The front's socket folder and the hosts file are gone.
        Assert.Contains($"type=bind,source=/opt/portal/sockbridge,target={SessionRules.BridgeTarget},ro=true", r.Runs["web"]);
        string session = r.Runs["web"].Single(a => a.Contains("target=/run/portal-session", StringComparison.Ordinal));
        Assert.False(Directory.Exists(session["type=bind,source=".Length..session.IndexOf(",target", StringComparison.Ordinal)]));
        string hosts = r.Runs["db"].Single(a => a.EndsWith(",target=/etc/hosts,ro=true", StringComparison.Ordinal));
        Assert.False(File.Exists(hosts["type=bind,source=".Length..hosts.IndexOf(",target", StringComparison.Ordinal)]));
    }

    /// <summary>The service's devices and its NVIDIA_VISIBLE_DEVICES, as "device,device|visible".</summary>
    private static string Gpus(List<string> argv)
    {
        var devices = new List<string>();
        string visible = "";
        for (int i = 0; i < argv.Count - 1; i++)
        {
            if (argv[i] == "--device")
            {
                devices.Add(argv[i + 1]);
            }
            else if (argv[i] == "--env" && argv[i + 1].StartsWith("NVIDIA_VISIBLE_DEVICES=", StringComparison.Ordinal))
            {
                visible = argv[i + 1]["NVIDIA_VISIBLE_DEVICES=".Length..];
            }
        }

        return string.Join(',', devices) + "|" + visible;
    }

    private sealed record Result(int ExitCode, Dictionary<string, List<string>> Runs, string Calls, string Stderr);

    private Result Run(string script, string allocated = "", bool hold = false) => Finish(Start(script, allocated, hold));

    private Result Finish(Process bash)
    {
        using (bash)
        {
            string stderr = bash.StandardError.ReadToEnd();
            Assert.True(bash.WaitForExit(TimeSpan.FromSeconds(30)), "the script did not end");
            var runs = Directory.EnumerateFiles(_dir, "run-*").ToDictionary(
                f => Path.GetFileName(f)["run-portal-app-42-slurm-7-".Length..], f => File.ReadAllText(f).Split('\0')[..^1].ToList());
            string calls = File.Exists(Path.Combine(_dir, "calls")) ? File.ReadAllText(Path.Combine(_dir, "calls")) : "";
            return new Result(bash.ExitCode, runs, calls, stderr);
        }
    }

    /// <summary>bash with the script, in Slurm's environment for job 7. A container "runs" until the pod is stopped
    /// (with <paramref name="hold"/>) or at once ends with 0.</summary>
    private Process Start(string script, string allocated, bool hold)
    {
        if (hold)
        {
            File.WriteAllText(Path.Combine(_dir, "hold"), "");
        }

        File.WriteAllText(FakePodman, $$"""
            #!/bin/bash
            d={{_dir}}
            case "$1 $2" in
              "pod create" | "volume create") echo "$1 $2" >> "$d/calls"; exit 0 ;;
              "pod stop") echo "pod stop" >> "$d/calls"; rm -f "$d/hold"; exit 0 ;;
              "pod rm" | "volume rm") echo "$1 $2" >> "$d/calls"; exit 0 ;;
              "container inspect") for n; do :; done; [ -e "$d/running-$n" ] && echo running && exit 0; exit 1 ;;
              "healthcheck run") for n; do :; done; exit "$(cat "$d/health-$n" 2>/dev/null || echo 0)" ;;
            esac
            for ((i = 1; i <= $#; i++)); do if [ "${!i}" = --name ]; then j=$((i + 1)); name=${!j}; fi; done
            printf '%s\0' "$@" > "$d/run-$name"
            for a; do case $a in /dev/fd/*) cat "$a" > "$d/env-$name" ;; esac; done
            [ -e "$d/broken-$name" ] && exit 125
            : > "$d/running-$name"
            while [ -e "$d/hold" ]; do sleep 0.05; done
            exit 0

            """);
        File.SetUnixFileMode(FakePodman, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string scriptFile = Path.Combine(_dir, "script.sh");
        File.WriteAllText(scriptFile, script, new UTF8Encoding(false));
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardError = true, WorkingDirectory = _dir };
        psi.ArgumentList.Add(scriptFile);
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/bin:/bin";
        psi.Environment["HOME"] = _dir;
        psi.Environment["SLURM_JOB_ID"] = "7";
        psi.Environment["SLURM_JOB_GPUS"] = allocated;
        return Process.Start(psi)!;
    }
}

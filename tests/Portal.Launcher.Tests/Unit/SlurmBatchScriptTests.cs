using System.Diagnostics;
using System.Text;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;
using Portal.Launcher.Slurm;

namespace Portal.Launcher.Tests.Unit;

/// <summary>
/// The generated batch script, run by bash as Slurm would run it, with a stand-in podman that records the argv it
/// got (NUL-separated), its visible-device variables and its environment file: the words the request chose must
/// arrive as the same words, and nothing in them may run.
/// </summary>
[Collection(BatchScriptGroup.Name)]
public sealed class SlurmBatchScriptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("portal-batch-script-").FullName;

    // Without /run/user/UID the script makes a private runtime directory under /tmp; the test removes one it caused.
    private readonly bool _fallbackExisted = Directory.Exists(FallbackRuntimeDirectory());

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        if (!_fallbackExisted && Directory.Exists(FallbackRuntimeDirectory()))
        {
            Directory.Delete(FallbackRuntimeDirectory(), recursive: true);
        }
    }

    internal static string FallbackRuntimeDirectory() =>
        "/tmp/portal-run-" + File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t')[1];

    private string FakePodman => Path.Combine(_dir, "podman");

    private LauncherPolicy PolicyWith(string gpuDevices = "cdi", string cgroups = "disabled", string runtime = "crun", string? bridge = null) =>
        SlurmRequestTests.Policy with
        {
            Slurm = SlurmRequestTests.Slurm with { NodePodman = FakePodman, GpuDevices = gpuDevices, Cgroups = cgroups, NodeRuntime = runtime, NodeBridge = bridge },
            GpuControlNodes = ["/dev/nvidiactl", "/dev/nvidia-uvm"],
        };

    [Fact]
    public void TheRequestsWords_ReachPodmanUnchanged_AndNoneOfThemRuns()
    {
        string[] hostile =
        [
            "it's", "$(touch " + _dir + "/pwned)", "`touch " + _dir + "/pwned`", "a\nb", "#SBATCH --uid=0", "\\", "'; touch " + _dir + "/pwned; '",
            "${HOME}", "*", "--", "",
        ];
        var run = new RunSpec { Image = "localhost/busybox:latest", Command = ["echo", .. hostile], Workdir = "/work" };

        Result r = Run(BatchScript.Generate("42", run, "alice", PolicyWith(), null, [("/home/alice/data", "/data", true)]));

        Assert.Equal(0, r.ExitCode);
        int image = r.Argv.IndexOf("localhost/busybox:latest");
        Assert.Equal("--", r.Argv[image - 1]);
        Assert.Equal(["echo", .. hostile], r.Argv[(image + 1)..]);
        Assert.False(File.Exists(Path.Combine(_dir, "pwned")));
        Assert.Equal("/work", r.Argv[r.Argv.IndexOf("--workdir") + 1]);
        Assert.Contains("type=bind,source=/home/alice/data,target=/data,ro=true", r.Argv);
    }

    [Fact]
    public void TheContainer_GetsTheOneBoxHardening_AndStaysInSlurmsCgroup()
    {
        Result r = Run(BatchScript.Generate("42", new RunSpec { Image = "busybox" }, "alice", PolicyWith(), null, []));

        Assert.Equal("run", r.Argv[0]);
        Assert.Equal("portal-job-42-slurm-7", r.Argv[r.Argv.IndexOf("--name") + 1]);
        Assert.Contains("no-new-privileges", r.Argv);
        Assert.Equal("all", r.Argv[r.Argv.IndexOf("--cap-drop") + 1]);
        Assert.Equal("none", r.Argv[r.Argv.IndexOf("--network") + 1]);
        Assert.Equal("crun", r.Argv[r.Argv.IndexOf("--runtime") + 1]);
        Assert.Contains("--cgroups=disabled", r.Argv);
        Assert.Contains("--rm", r.Argv);
        Assert.Contains("portal.job=42", r.Argv);
        Assert.Contains("portal.owner=alice", r.Argv);
        Assert.Contains("portal.slurm-job=7", r.Argv);
    }

    [Fact]
    public void OnCgroupV1Nodes_PodmansDefaultCgroupsAreKept()
    {
        Result r = Run(BatchScript.Generate("42", new RunSpec { Image = "busybox" }, "alice", PolicyWith(cgroups: "inherit", runtime: "runc"), null, []));

        Assert.DoesNotContain("--cgroups=disabled", r.Argv);
        Assert.Equal("runc", r.Argv[r.Argv.IndexOf("--runtime") + 1]);
    }

    [Theory]
    [InlineData("cdi", "2,3", new[] { "--device", "nvidia.com/gpu=2", "--device", "nvidia.com/gpu=3" })]
    [InlineData("nodes", "2,3", new[] { "--device", "/dev/nvidia2", "--device", "/dev/nvidia3", "--device", "/dev/nvidiactl", "--device", "/dev/nvidia-uvm" })]
    [InlineData("none", "2,3", new string[0])]
    [InlineData("nodes", "", new string[0])]
    public void TheGpusSlurmAllocated_BecomeTheContainersDevices_NumberedFromZeroInside(string mode, string allocated, string[] devices)
    {
        Result r = Run(BatchScript.Generate("42", new RunSpec { Image = "busybox" }, "alice", PolicyWith(gpuDevices: mode), null, []), allocated);

        int image = r.Argv.IndexOf("busybox");
        List<string> passed = [];
        for (int i = 0; i < image; i++)
        {
            if (r.Argv[i] == "--device")
            {
                passed.AddRange(["--device", r.Argv[i + 1]]);
            }
        }

        Assert.Equal(devices, passed);
        Assert.Equal(allocated == "" ? "|void" : "0,1|0,1", r.Visible);
        Assert.Equal(["--env", "CUDA_VISIBLE_DEVICES", "--env", "NVIDIA_VISIBLE_DEVICES"], r.Argv[(r.Argv.IndexOf("CUDA_VISIBLE_DEVICES") - 1)..(r.Argv.IndexOf("NVIDIA_VISIBLE_DEVICES") + 1)]);
    }

    [Fact]
    public void AnAllocationThatIsNotPlainIndexes_StopsTheJobBeforePodman()
    {
        Result r = Run(BatchScript.Generate("42", new RunSpec { Image = "busybox" }, "alice", PolicyWith(gpuDevices: "nodes"), null, []), "0,1;touch x");

        Assert.Equal(1, r.ExitCode);
        Assert.Empty(r.Argv);
        Assert.Contains("unexpected SLURM_JOB_GPUS", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void TheEnvironmentFile_IsReadThroughADescriptor_AndDeletedBeforePodmanRuns()
    {
        string envFile = Path.Combine(_dir, "job.env");
        File.WriteAllText(envFile, "SECRET=a b $c\n");

        Result r = Run(BatchScript.Generate("42", new RunSpec { Image = "busybox" }, "alice", PolicyWith(), envFile, []));

        Assert.Equal("/dev/fd/3", r.Argv[r.Argv.IndexOf("--env-file") + 1]);
        Assert.Equal("SECRET=a b $c\n", r.EnvFileSeen);
        Assert.True(r.EnvFileGoneAtRun);
        Assert.True(r.Argv.IndexOf("--env-file") < r.Argv.IndexOf("CUDA_VISIBLE_DEVICES"));
    }

    [Fact]
    public void SbatchReadsNoDirective_FromAnythingTheRequestChose()
    {
        string script = BatchScript.Generate("42", new RunSpec { Image = "busybox", Command = ["\n#SBATCH --uid=0\n"] }, "alice", PolicyWith(), null, []);

        string[] lines = script.Split('\n');
        Assert.Equal("#!/bin/bash", lines[0]);
        Assert.Equal("set -euo pipefail", lines[1]);
    }

    [Fact]
    public void PodmansExitCode_IsTheJobs()
    {
        Result r = Run(BatchScript.Generate("42", new RunSpec { Image = "busybox" }, "alice", PolicyWith(), null, []), exitCode: 3);

        Assert.Equal(3, r.ExitCode);
    }

    [Fact]
    public void ATermFromSlurm_StopsTheContainer_AndTheJobEndsWithPodmansExitCode()
    {
        string script = BatchScript.Generate("42", new RunSpec { Image = "busybox" }, "alice", PolicyWith(), null, []);
        File.WriteAllText(Path.Combine(_dir, "hold"), "");

        using Process bash = Start(script, "");
        string started = Path.Combine(_dir, "argv");
        Assert.True(SpinWait.SpinUntil(() => File.Exists(started), TimeSpan.FromSeconds(20)), "podman run never started");
        using (Process kill = Process.Start("/bin/kill", ["-TERM", bash.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        Assert.True(bash.WaitForExit(TimeSpan.FromSeconds(20)));

        Assert.Equal(143, bash.ExitCode);
        Assert.Equal("stop --time 10 -- portal-job-42-slurm-7", File.ReadAllText(Path.Combine(_dir, "stopped")).Replace('\0', ' ').Trim());
    }

    [Fact]
    public void ATermWhilePodmanIsStillCreatingTheContainer_StopsItOnceItExists_SoNothingOutlivesTheJob()
    {
        string script = BatchScript.Generate("42", new RunSpec { Image = "busybox" }, "alice", PolicyWith(), null, []);
        File.WriteAllText(Path.Combine(_dir, "hold"), "");
        File.WriteAllText(Path.Combine(_dir, "creating"), "");

        using Process bash = Start(script, "");
        Assert.True(SpinWait.SpinUntil(() => File.Exists(Path.Combine(_dir, "argv")), TimeSpan.FromSeconds(20)), "podman run never started");
        using (Process kill = Process.Start("/bin/kill", ["-TERM", bash.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        // The container does not exist yet: nothing may be "stopped" before it does.
        bool stoppedTooEarly = SpinWait.SpinUntil(() => File.Exists(Path.Combine(_dir, "stopped")), TimeSpan.FromSeconds(1));
        File.Delete(Path.Combine(_dir, "creating"));
        Assert.True(bash.WaitForExit(TimeSpan.FromSeconds(20)), "the script did not end");

        Assert.False(stoppedTooEarly);
        Assert.Equal(143, bash.ExitCode);
        Assert.Equal("stop --time 10 -- portal-job-42-slurm-7", File.ReadAllText(Path.Combine(_dir, "stopped")).Replace('\0', ' ').Trim());
    }

    private static string SessionFolder => SlurmNames.NodeSessionFolder(FallbackRuntimeDirectory()["/tmp/portal-run-".Length..], "7");

    [Fact]
    public void ASession_GetsAFreshFolderOfTheUsersAlone_MountedWhereTheAppListens_AndGoneWhenTheJobEnds()
    {
        // What an earlier job with the same Slurm id left (a cluster reinstalled): replaced, never reused.
        Directory.CreateDirectory(SessionFolder);
        File.WriteAllText(Path.Combine(SessionFolder, "stale"), "");
        var run = new RunSpec { Image = "busybox", Command = ["jupyter", "lab", "--ServerApp.sock=/run/portal-session/http.sock"], Session = new SessionSpec() };
        string script = BatchScript.Generate("42", run, "alice", PolicyWith(bridge: "/opt/portal/sockbridge"), null, []);
        File.WriteAllText(Path.Combine(_dir, "hold"), "");

        using Process bash = Start(script, "");
        Assert.True(SpinWait.SpinUntil(() => File.Exists(Path.Combine(_dir, "argv")), TimeSpan.FromSeconds(20)), "podman run never started");
        List<string> argv = [.. File.ReadAllText(Path.Combine(_dir, "argv")).Split('\0')[..^1]];
        UnixFileMode mode = File.GetUnixFileMode(SessionFolder);
        bool staleGone = !File.Exists(Path.Combine(SessionFolder, "stale"));
        File.Delete(Path.Combine(_dir, "hold"));
        Assert.True(bash.WaitForExit(TimeSpan.FromSeconds(20)), "the script did not end");

        Assert.Contains($"type=bind,source={SessionFolder},target=/run/portal-session", argv);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, mode);
        Assert.True(staleGone);
        Assert.Equal(["jupyter", "lab", "--ServerApp.sock=/run/portal-session/http.sock"], argv[(argv.IndexOf("busybox") + 1)..]);
        Assert.DoesNotContain("--entrypoint", argv);
        Assert.False(Directory.Exists(SessionFolder), "the session folder outlived the job");
    }

    [Fact]
    public void ASessionOnATcpPort_RunsUnderTheNodesSockbridge_AsOnOneBox()
    {
        var run = new RunSpec { Image = "busybox", Command = ["httpd", "-f", "-p", "127.0.0.1:8080"], Session = new SessionSpec { BridgePort = 8080 } };

        Result r = Run(BatchScript.Generate("42", run, "alice", PolicyWith(bridge: "/opt/portal/sockbridge"), null, []));

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("type=bind,source=/opt/portal/sockbridge,target=/.portal/sockbridge,ro=true", r.Argv);
        Assert.Equal("/.portal/sockbridge", r.Argv[r.Argv.IndexOf("--entrypoint") + 1]);
        Assert.Equal(["/run/portal-session/http.sock", "8080", "--", "httpd", "-f", "-p", "127.0.0.1:8080"], r.Argv[(r.Argv.IndexOf("busybox") + 1)..]);
        Assert.False(Directory.Exists(SessionFolder));
    }

    [Fact]
    public void ABatchJob_GetsNoSessionFolder() =>
        Assert.DoesNotContain(Run(BatchScript.Generate("42", new RunSpec { Image = "busybox" }, "alice", PolicyWith(bridge: "/opt/portal/sockbridge"), null, [])).Argv,
            a => a.Contains("portal-session", StringComparison.Ordinal));

    private sealed record Result(int ExitCode, List<string> Argv, string Visible, string? EnvFileSeen, bool EnvFileGoneAtRun, string Stderr);

    private Result Run(string script, string allocated = "0,1", int exitCode = 0)
    {
        using Process bash = Start(script, allocated, exitCode);
        string stderr = bash.StandardError.ReadToEnd();
        Assert.True(bash.WaitForExit(TimeSpan.FromSeconds(30)), "the script did not end");
        string argvFile = Path.Combine(_dir, "argv");
        List<string> argv = File.Exists(argvFile) ? [.. File.ReadAllText(argvFile).Split('\0')[..^1]] : [];
        string visible = File.Exists(Path.Combine(_dir, "visible")) ? File.ReadAllText(Path.Combine(_dir, "visible")).Trim() : "";
        string? env = File.Exists(Path.Combine(_dir, "env-seen")) ? File.ReadAllText(Path.Combine(_dir, "env-seen")) : null;
        return new Result(bash.ExitCode, argv, visible, env, File.Exists(Path.Combine(_dir, "env-gone")), stderr);
    }

    /// <summary>bash with the script on stdin, as slurmd runs a batch script, in Slurm's environment for job 7.</summary>
    private Process Start(string script, string allocated, int exitCode = 0)
    {
        File.WriteAllText(FakePodman, $$"""
            #!/bin/bash
            d={{_dir}}
            if [ "$1" = stop ]; then printf '%s\0' "$@" > "$d/stopped"; rm -f "$d/hold"; exit 0; fi
            if [ "$1" = container ] && [ "$2" = exists ]; then [ -e "$d/created" ]; exit; fi
            printf '%s\0' "$@" > "$d/argv.tmp"
            echo "$CUDA_VISIBLE_DEVICES|$NVIDIA_VISIBLE_DEVICES" > "$d/visible"
            [ -e /dev/fd/3 ] && cat /dev/fd/3 > "$d/env-seen"
            [ -e "$d/job.env" ] || : > "$d/env-gone"
            mv "$d/argv.tmp" "$d/argv"
            while [ -e "$d/creating" ]; do sleep 0.05; done
            : > "$d/created"
            while [ -e "$d/hold" ]; do sleep 0.05; done
            [ -e "$d/stopped" ] && exit 143
            exit {{exitCode}}

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
        psi.Environment["CUDA_VISIBLE_DEVICES"] = allocated;
        return Process.Start(psi)!;
    }
}

/// <summary>The batch script tests share the fallback runtime folder and Slurm job id 7's session folder under /tmp:
/// one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class BatchScriptGroup
{
    public const string Name = "batch scripts";
}

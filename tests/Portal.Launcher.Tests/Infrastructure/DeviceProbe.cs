namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>
/// Opens real device nodes, by their /dev paths, under a job's device control. A root shell first joins a fresh child
/// of the job's cgroup in the v1 devices hierarchy and in the cgroup2 hierarchy (a child inherits both the v1
/// controller's list and the BPF program, which is attached with BPF_F_ALLOW_MULTI; a v2 job cgroup that enables
/// controllers takes no process itself), then opens each node for reading. The device filter applies to root as to
/// anyone. Unlike nodes made with mknod, these exist on every Linux host and every host lets them be opened, so the
/// answer is the filter's: "opened", or EPERM ("Operation not permitted") where the job may not use the device.
/// </summary>
public static class DeviceProbe
{
    public const string Opened = "opened";
    public const string Eperm = "Operation not permitted";

    /// <summary>Device numbers no job of the test policy may use: /dev/net/tun (10:200; the policy gives jobs no network).</summary>
    public const string DeniedNode = "/dev/net/tun";

    /// <summary>A standard container device every job may use (1:3).</summary>
    public const string AllowedNode = "/dev/null";

    /// <summary>The real node with the numbers of the test policy's openable GPU (10:229): usable by a job given that GPU only.</summary>
    public const string OpenableGpuNode = "/dev/fuse";

    /// <summary>One line per node: "NODE: opened" or "NODE: ERROR TEXT" (bash's message for the failed redirection).</summary>
    public static async Task<string> OpenAsync(TestUser user, string job, params string[] nodes)
    {
        List<string> dirs = [];
        if (TestCgroups.Host.V1.ContainsKey("devices"))
        {
            dirs.Add(TestCgroups.V1("devices", user, job) + "/ptest-probe");
        }

        if (TestCgroups.Unified(user, job) is { } unified)
        {
            dirs.Add(unified + "/ptest-probe");
        }

        Assert.True(dirs.Count > 0, "this host has neither a v1 devices hierarchy nor a cgroup2 mount");
        try
        {
            foreach (string dir in dirs)
            {
                Directory.CreateDirectory(dir);
            }

            // The shell moves itself, then each open runs in a subshell that inherits its cgroups.
            const string script = """
                while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs" || exit 3; shift; done; shift
                for node; do
                  if err=$( (exec 3<"$node") 2>&1 ); then echo "$node: opened"; else echo "$node: ${err##*: }"; fi
                done
                """;
            ShellResult r = await Shell.RunAsync("/bin/bash", ["-c", script, "probe", .. dirs, "--", .. nodes]);
            Assert.True(r.ExitCode == 0, $"the device probe could not join the job's cgroups: {r}");
            return r.Stdout;
        }
        finally
        {
            foreach (string dir in dirs.Where(Directory.Exists))
            {
                // The probe has exited and been reaped: its cgroup is empty and can go.
                await Wait.UntilAsync(() => Task.FromResult(TestCgroups.Pids(dir).Count), n => n == 0, TimeSpan.FromSeconds(10), $"{dir} to empty");
                Directory.Delete(dir);
            }
        }
    }
}

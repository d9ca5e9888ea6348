using System.Diagnostics;
using System.Text.Json.Nodes;
using Portal.Bench.Launcher;

// Launch latency of portal-launcher through sudo (as the portal runs it) against bare `podman run -d`
// of the same image as the same user, alternating, in one process; then the launcher's own
// start-to-exec time. Not a test: it prints numbers. bench/launcher/run.sh sets the host up.
var options = BenchOptions.Parse(args);
var bench = new LaunchBench(options);

Console.Error.WriteLine($"== {options.Iterations} launches each, alternating (load average {Host.LoadAverage()})");
LaunchFigures launch = bench.MeasureLaunches();

Console.Error.WriteLine($"== start-to-exec of a run, podman replaced by a clock stamp (load average {Host.LoadAverage()})");
ExecFigures exec = bench.MeasureStartToExec();

Console.WriteLine($"median portal-launcher run (sudo -n):    {launch.Launcher:F1} ms");
Console.WriteLine($"median bare podman run -d:               {launch.Bare:F1} ms");
Console.WriteLine($"ratio launcher/bare:                     {launch.Launcher / launch.Bare:F3} (target <= 1.10)");
Console.WriteLine($"  paired, launch by launch: median difference {launch.PairedDifference:F1} ms, median ratio {launch.PairedRatio:F3}");
Console.WriteLine($"  of which podman with the launcher's options (same user, no launcher): {launch.PodmanWithLauncherOptions:F1} ms, ratio {launch.PodmanWithLauncherOptions / launch.Bare:F3}");
Console.WriteLine($"launcher start-to-exec (median):         {exec.Launcher:F1} ms (target <= 10 ms)");
Console.WriteLine($"  floor: a NativeAOT program that only execs: {exec.Floor:F1} ms; the launcher's own work: {exec.Launcher - exec.Floor:F1} ms");
Console.WriteLine($"load average at the end: {Host.LoadAverage()}");

namespace Portal.Bench.Launcher
{
    internal sealed record LaunchFigures(double Launcher, double Bare, double PodmanWithLauncherOptions, double PairedDifference, double PairedRatio);

    internal sealed record ExecFigures(double Launcher, double Floor);

    internal static class Host
    {
        public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
    }

    internal sealed record BenchOptions(int Iterations, string Launcher, string User, string ServiceUser, string Image, string Policy, string AuditLog, string ExecFloor, string Stamp)
    {
        /// <summary>Where to write an strace (<c>-f -r -T</c>) of one more, untimed, launch to the stamp; none if empty.</summary>
        public string Trace { get; init; } = "";

        public static BenchOptions Parse(string[] args)
        {
            string Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault()
                ?? throw new ArgumentException($"missing {name}");
            return new BenchOptions(int.Parse(Value("--iterations"), System.Globalization.CultureInfo.InvariantCulture), Value("--launcher"),
                Value("--user"), Value("--service-user"), Value("--image"), Value("--policy"), Value("--audit-log"), Value("--exec-floor"), Value("--stamp"))
            {
                Trace = args.SkipWhile(a => a != "--trace").Skip(1).FirstOrDefault() ?? "",
            };
        }
    }

    internal sealed class LaunchBench(BenchOptions o)
    {
        public LaunchFigures MeasureLaunches()
        {
            List<double> launcher = [], bare = [], options = [];
            RemoveAll();
            for (int i = 1; i <= o.Iterations; i++)
            {
                string request = $$$"""{"version":1,"verb":"run","user":"{{{o.User}}}","job":"b{{{i}}}","run":{"image":"{{{o.Image}}}","command":["sleep","600"]}}""";
                launcher.Add(Time(AsUser(o.ServiceUser, ["sudo", "-n", o.Launcher]), request));
                List<string> launcherArgv = LastRunArgv();

                // Untimed: the launcher removes the job's container and its cgroups, so the next run starts clean.
                _ = Output(AsUser(o.ServiceUser, ["sudo", "-n", o.Launcher]), $$$"""{"version":1,"verb":"remove","user":"{{{o.User}}}","job":"b{{{i}}}","stop":{"timeoutSeconds":0}}""");
                RemoveAll();

                bare.Add(Time(AsUser(o.User, ["podman", "run", "-d", "--network", "none", "--name", $"bare-{i}", o.Image, "sleep", "600"])));
                RemoveAll();

                // The launcher's exact podman command line, run as the user without the launcher: how
                // much of the difference is podman doing what the policy asks (labels, limits, no caps).
                launcherArgv[launcherArgv.IndexOf("--name") + 1] = $"opts-{i}";
                options.Add(Time(AsUser(o.User, launcherArgv)));
                RemoveAll();
            }

            // Each launch is paired with the bare run right after it: podman's own spread (a few percent
            // from one run to the next) largely cancels out of these two.
            List<double> differences = [.. launcher.Zip(bare, (l, b) => l - b)];
            List<double> ratios = [.. launcher.Zip(bare, (l, b) => l / b)];
            return new LaunchFigures(Median(launcher), Median(bare), Median(options), Median(differences), Median(ratios));
        }

        /// <summary>
        /// Start-to-exec of a <c>run</c>, with podman replaced by podman-stamp, which prints the monotonic
        /// clock as its "container id". From the moment before each command starts to that stamp: the
        /// launcher (started directly, as sudo would) then the stamp; the exec floor then the stamp; the
        /// stamp alone. Subtracting the last leaves the time from the command's start to its execve.
        /// </summary>
        public ExecFigures MeasureStartToExec()
        {
            string original = File.ReadAllText(o.Policy);
            try
            {
                WritePolicy(original, o.Stamp);
                List<double> launcher = [], floor = [], alone = [];
                for (int i = 0; i < Math.Max(o.Iterations, 41); i++)
                {
                    string request = $$$"""{"version":1,"verb":"run","user":"{{{o.User}}}","job":"s{{{i}}}","run":{"image":"{{{o.Image}}}","command":["sleep","600"]}}""";
                    launcher.Add(UntilStamp([o.Launcher], request, fromJson: true));
                    _ = Output([o.Launcher], $$$"""{"version":1,"verb":"release","user":"{{{o.User}}}","job":"s{{{i}}}"}""");
                    floor.Add(UntilStamp([o.ExecFloor, o.Stamp]));
                    alone.Add(UntilStamp([o.Stamp]));
                }

                if (o.Trace.Length > 0)
                {
                    // Where the launcher's own time goes, system call by system call (untimed: strace slows it).
                    string request = $$$"""{"version":1,"verb":"run","user":"{{{o.User}}}","job":"trace","run":{"image":"{{{o.Image}}}","command":["sleep","600"]}}""";
                    _ = Output(["strace", "-f", "-r", "-T", "-o", o.Trace, o.Launcher], request);
                    _ = Output([o.Launcher], $$$"""{"version":1,"verb":"release","user":"{{{o.User}}}","job":"trace"}""");
                }

                return new ExecFigures(Median(launcher) - Median(alone), Median(floor) - Median(alone));
            }
            finally
            {
                WritePolicy(original, null);
            }
        }

        /// <summary>Milliseconds from just before the command starts to the stamp it (or the launcher's reply) carries.</summary>
        private static double UntilStamp(List<string> argv, string? stdin = null, bool fromJson = false)
        {
            long start = Stopwatch.GetTimestamp();
            string stdout = Output(argv, stdin);
            string stamp = fromJson ? JsonNode.Parse(stdout)!["containerId"]!.GetValue<string>() : stdout.Trim();
            return Stopwatch.GetElapsedTime(start, long.Parse(stamp, System.Globalization.CultureInfo.InvariantCulture)).TotalMilliseconds;
        }

        private void WritePolicy(string original, string? podman)
        {
            JsonNode policy = JsonNode.Parse(original)!;
            if (podman is not null)
            {
                policy["podman"] = podman;
            }

            string temporary = o.Policy + ".new";
            File.WriteAllText(temporary, podman is null ? original : policy.ToJsonString());
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(temporary, o.Policy, overwrite: true);
        }

        /// <summary>The podman argv of the launcher's last accepted run, from its audit log.</summary>
        private List<string> LastRunArgv()
        {
            string line = File.ReadLines(o.AuditLog).Last(l => l.Contains("\"verb\":\"run\"", StringComparison.Ordinal) && l.Contains("\"decision\":\"accepted\"", StringComparison.Ordinal));
            string detail = JsonNode.Parse(line)!["detail"]!.GetValue<string>();
            return [.. detail.Split(' ')];
        }

        private void RemoveAll() => Time(AsUser(o.User, ["podman", "rm", "--all", "--force", "--time", "0"]));

        private static readonly Dictionary<string, (string Uid, string Gid)> Ids = new(StringComparer.Ordinal);

        /// <summary>setpriv to the account with its groups and a clean login-like environment, from /.</summary>
        private static List<string> AsUser(string name, IEnumerable<string> command)
        {
            string home = $"/home/{name}";
            if (!Ids.TryGetValue(name, out (string Uid, string Gid) ids))
            {
                // Looked up once per account, not before every timed command.
                ids = Ids[name] = (Run(["id", "-u", name]).Trim(), Run(["id", "-g", name]).Trim());
            }

            string uid = ids.Uid;
            return ["setpriv", "--reuid", name, "--regid", ids.Gid, "--init-groups", "--",
                "env", "-i", $"HOME={home}", $"USER={name}", $"LOGNAME={name}", "PATH=/usr/bin:/bin", $"XDG_RUNTIME_DIR=/run/user/{uid}", "LANG=C.UTF-8",
                .. command];
        }

        private static double Time(List<string> argv, string? stdin = null)
        {
            long start = Stopwatch.GetTimestamp();
            _ = Output(argv, stdin);
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        /// <summary>Starts the command with stdin written and closed, waits for it, and returns its stdout; throws unless it exits 0.</summary>
        private static string Output(List<string> argv, string? stdin)
        {
            var psi = new ProcessStartInfo(argv[0]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
            foreach (string arg in argv.Skip(1))
            {
                psi.ArgumentList.Add(arg);
            }

            using Process process = Process.Start(psi)!;
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
            }

            process.StandardInput.Close();
            // stdout is small (a container id or nothing): read after stderr without risk of a full pipe.
            string stderr = process.StandardError.ReadToEnd();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{string.Join(' ', argv.Take(12))} exited {process.ExitCode}: {stderr} {stdout}");
            }

            return stdout;
        }

        private static string Run(List<string> argv)
        {
            var psi = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true };
            foreach (string arg in argv.Skip(1))
            {
                psi.ArgumentList.Add(arg);
            }

            using Process process = Process.Start(psi)!;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return output;
        }

        private static double Median(List<double> values)
        {
            List<double> sorted = [.. values];
            sorted.Sort();
            return sorted[sorted.Count / 2];
        }
    }
}

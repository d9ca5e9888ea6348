using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Portal.Bench.Submit;

// Submit-to-process-start of a job through the portal's REST API against a bare `podman run -d` of the same image
// and command by the same user, alternating, in one process. Both arms end at the same point: the clock stamp the
// container's first process writes (stamp.c). Not a test: it prints numbers. bench/submit/run.sh sets the host up.
var options = BenchOptions.Parse(args);
using var bench = new SubmitBench(options);

Console.Error.WriteLine($"== warm-up: {options.WarmUp} of each, untimed (load average {Host.LoadAverage()})");
for (int i = 1; i <= options.WarmUp; i++)
{
    _ = await bench.ThroughApiAsync($"w{i}");
    _ = await bench.BarePodmanAsync($"w{i}");
}

Console.Error.WriteLine($"== {options.Iterations} submissions each, alternating (load average {Host.LoadAverage()})");
List<Sample> api = [], bare = [];
for (int i = 1; i <= options.Iterations; i++)
{
    api.Add(await bench.ThroughApiAsync($"{i}"));
    bare.Add(await bench.BarePodmanAsync($"{i}"));
    Console.Error.WriteLine($"   {i,3}: API {api[^1].ToStart:F1} ms (201 after {api[^1].Returned:F1} ms), bare {bare[^1].ToStart:F1} ms (returned after {bare[^1].Returned:F1} ms)");
}

double apiMedian = Stats.Median(api.Select(s => s.ToStart)), bareMedian = Stats.Median(bare.Select(s => s.ToStart));
Console.WriteLine($"median API submit to process start:        {apiMedian:F1} ms");
Console.WriteLine($"median bare podman run -d to process start: {bareMedian:F1} ms");
Console.WriteLine($"ratio API/bare:                             {apiMedian / bareMedian:F3} (target <= 1.15)");
Console.WriteLine($"  paired, run by run: median difference {Stats.Median(api.Zip(bare, (a, b) => a.ToStart - b.ToStart)):F1} ms, median ratio {Stats.Median(api.Zip(bare, (a, b) => a.ToStart / b.ToStart)):F3}");
Console.WriteLine($"  spread: API {Stats.Quantile(api.Select(s => s.ToStart), 0.1):F1}-{Stats.Quantile(api.Select(s => s.ToStart), 0.9):F1} ms, bare {Stats.Quantile(bare.Select(s => s.ToStart), 0.1):F1}-{Stats.Quantile(bare.Select(s => s.ToStart), 0.9):F1} ms (10th-90th percentile)");
Console.WriteLine($"  the call itself: POST answered 201 after {Stats.Median(api.Select(s => s.Returned)):F1} ms, podman run -d returned after {Stats.Median(bare.Select(s => s.Returned)):F1} ms (medians)");
Console.WriteLine($"load average at the end: {Host.LoadAverage()}");

namespace Portal.Bench.Submit
{
    /// <summary>One timed start: from just before the call to the process's stamp, and to the call's return.</summary>
    internal sealed record Sample(double ToStart, double Returned);

    internal static class Host
    {
        public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
    }

    internal static class Stats
    {
        public static double Median(IEnumerable<double> values) => Quantile(values, 0.5);

        public static double Quantile(IEnumerable<double> values, double q)
        {
            List<double> sorted = [.. values];
            sorted.Sort();
            return sorted[(int)Math.Round((sorted.Count - 1) * q)];
        }
    }

    /// <summary>What run.sh passes; Stamps is the folder in the user's home mounted at /stamps in every container.</summary>
    internal sealed record BenchOptions(int Iterations, int WarmUp, Uri Url, string Token, string User, string Image, string Stamps)
    {
        public static BenchOptions Parse(string[] args)
        {
            string Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault()
                ?? throw new ArgumentException($"missing {name}");
            return new BenchOptions(int.Parse(Value("--iterations"), CultureInfo.InvariantCulture), int.Parse(Value("--warm-up"), CultureInfo.InvariantCulture),
                new Uri(Value("--url")), Value("--token"), Value("--user"), Value("--image"), Value("--stamps"));
        }
    }

    internal sealed class SubmitBench(BenchOptions o) : IDisposable
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

        private readonly HttpClient _http = new() { BaseAddress = o.Url, DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", o.Token) } };

        private readonly (string Uid, string Gid) _ids = (Run(["id", "-u", o.User]).Trim(), Run(["id", "-g", o.User]).Trim());

        /// <summary>Arm A: POST /api/v1/jobs, as a script would; then, untimed, waits for the job to end and removes its container.</summary>
        public async Task<Sample> ThroughApiAsync(string name)
        {
            string stamp = $"a-{name}";
            string body = new JsonObject
            {
                ["name"] = $"bench-{stamp}",
                ["image"] = o.Image,
                ["command"] = new JsonArray("/bin/stamp", $"/stamps/{stamp}"),
                ["mounts"] = new JsonArray(new JsonObject { ["source"] = o.Stamps, ["target"] = "/stamps", ["readOnly"] = false }),
                ["cpus"] = 1,
                ["memoryMiB"] = 256,
                ["walltimeMinutes"] = 10,
            }.ToJsonString();

            long start = Stopwatch.GetTimestamp();
            using var response = await _http.PostAsync(new Uri("/api/v1/jobs", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
            double returned = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            string answer = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"POST /api/v1/jobs answered {(int)response.StatusCode}: {answer}");
            }

            long id = JsonNode.Parse(answer)!["id"]!.GetValue<long>();
            double toStart = await UntilStampAsync(start, stamp, () => FailedJobAsync(id));

            await UntilEndedAsync(id);
            RemoveContainers();
            return new Sample(toStart, returned);
        }

        /// <summary>Arm B: the same user runs the same image and command with a bare <c>podman run -d</c>.</summary>
        public async Task<Sample> BarePodmanAsync(string name)
        {
            string stamp = $"b-{name}";
            List<string> argv = AsUser(["podman", "run", "-d", "--network", "none", "--name", $"bare-{name}",
                "-v", $"{o.Stamps}:/stamps", o.Image, "/bin/stamp", $"/stamps/{stamp}"]);

            long start = Stopwatch.GetTimestamp();
            _ = Output(argv);
            double returned = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            double toStart = await UntilStampAsync(start, stamp, () => Task.FromResult<string?>(null));

            RemoveContainers();
            return new Sample(toStart, returned);
        }

        /// <summary>
        /// Milliseconds from <paramref name="start"/> to the monotonic time the container's first process wrote. The
        /// file is looked for every 5 ms, which costs the same in both arms and does not enter the figure: the figure
        /// is the stamp's own time, not the time the stamp was seen.
        /// </summary>
        private async Task<double> UntilStampAsync(long start, string stamp, Func<Task<string?>> failure)
        {
            string path = Path.Combine(o.Stamps, stamp);
            long deadline = Stopwatch.GetTimestamp() + (long)(Deadline.TotalSeconds * Stopwatch.Frequency);
            int polls = 0;
            while (!File.Exists(path))
            {
                // Every second, whether the job failed instead (then there will be no stamp).
                if (++polls % 200 == 0 && await failure() is { } reason)
                {
                    throw new InvalidOperationException($"{stamp}: the job ended without starting: {reason}");
                }

                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new TimeoutException($"{stamp}: no stamp after {Deadline}");
                }

                await Task.Delay(5);
            }

            long stamped = long.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);
            File.Delete(path);
            double milliseconds = Stopwatch.GetElapsedTime(start, stamped).TotalMilliseconds;
            return milliseconds > 0 ? milliseconds
                : throw new InvalidOperationException($"{stamp}: stamped before the call ({milliseconds:F1} ms): not the host's monotonic clock?");
        }

        private async Task<string?> FailedJobAsync(long id)
        {
            JsonNode job = await JobAsync(id);
            string state = job["state"]!.GetValue<string>();
            return state is "Failed" or "Cancelled" or "TimedOut" or "Lost" ? job.ToJsonString() : null;
        }

        /// <summary>Untimed: the job's command exits at once; the portal notices within its watch interval.</summary>
        private async Task UntilEndedAsync(long id)
        {
            long deadline = Stopwatch.GetTimestamp() + (long)(Deadline.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                JsonNode job = await JobAsync(id);
                string state = job["state"]!.GetValue<string>();
                if (state == "Succeeded")
                {
                    return;
                }

                if (state is "Failed" or "Cancelled" or "TimedOut" or "Lost" || Stopwatch.GetTimestamp() > deadline)
                {
                    throw new InvalidOperationException($"job {id} did not succeed: {job.ToJsonString()}");
                }

                await Task.Delay(100);
            }
        }

        private async Task<JsonNode> JobAsync(long id) =>
            JsonNode.Parse(await _http.GetStringAsync(new Uri($"/api/v1/jobs/{id}", UriKind.Relative)))!;

        /// <summary>Untimed, after each start: the user's containers (both arms'), so every start begins from none.</summary>
        private void RemoveContainers() => Output(AsUser(["podman", "rm", "--all", "--force", "--time", "0"]));

        /// <summary>setpriv to the user with its groups and a clean login-like environment, from / (as bench/launcher).</summary>
        private List<string> AsUser(IEnumerable<string> command) =>
            ["setpriv", "--reuid", _ids.Uid, "--regid", _ids.Gid, "--init-groups", "--",
                "env", "-i", $"HOME=/home/{o.User}", $"USER={o.User}", $"LOGNAME={o.User}", "PATH=/usr/bin:/bin",
                $"XDG_RUNTIME_DIR=/run/user/{_ids.Uid}", "LANG=C.UTF-8", .. command];

        /// <summary>Starts the command with no stdin, waits for it, and returns its stdout; throws unless it exits 0.</summary>
        private static string Output(List<string> argv)
        {
            var psi = new ProcessStartInfo(argv[0]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
            foreach (string arg in argv.Skip(1))
            {
                psi.ArgumentList.Add(arg);
            }

            using Process process = Process.Start(psi)!;
            process.StandardInput.Close();
            // stdout is small (a container id or the removed ones' ids): read after stderr without risk of a full pipe.
            string stderr = process.StandardError.ReadToEnd();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? stdout
                : throw new InvalidOperationException($"{string.Join(' ', argv)} exited {process.ExitCode}: {stderr} {stdout}");
        }

        private static string Run(List<string> argv) => Output(argv);

        public void Dispose() => _http.Dispose();
    }
}

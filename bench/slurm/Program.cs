using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Bench.Slurm;
using Portal.Jobs.Slurm;

// Two measures of the portal's Slurm backend; bench/slurm/run.sh sets the host and the cluster up. Not a test: it prints numbers.
//   submit: submit-to-process-start through the portal's REST API against `sbatch` of the same batch script by the
//           same user, alternating, in one process; both arms end at the clock stamp of the container's first process.
//   squeue: what one poll of the backend costs (SlurmCommands.QueueAsync: its squeue, argv, environment and parsing).
//   connect: a new connection to a session's app on a node through the launcher against the same srun step by hand.
var options = BenchOptions.Parse(args);
if (options.Mode == "squeue")
{
    await SqueuePoll.RunAsync(options);
    return;
}

if (options.Mode == "connect")
{
    await ConnectBench.RunAsync(options);
    return;
}

using var bench = new SubmitBench(options);
await bench.CaptureScriptAsync();
Console.Error.WriteLine($"== warm-up: {options.WarmUp} of each, untimed (load average {Host.LoadAverage()})");
for (int i = 1; i <= options.WarmUp; i++)
{
    _ = await bench.ThroughApiAsync($"w{i}");
    _ = await bench.ByHandAsync($"w{i}");
}

Console.Error.WriteLine($"== {options.Iterations} submissions each, alternating, pauses from seed {options.Number("--seed")} (load average {Host.LoadAverage()})");
List<Sample> api = [], hand = [];
for (int i = 1; i <= options.Iterations; i++)
{
    api.Add(await bench.ThroughApiAsync($"{i}"));
    hand.Add(await bench.ByHandAsync($"{i}"));
    Console.Error.WriteLine($"   {i,3}: API {api[^1].ToStart:F1} ms (201 after {api[^1].Returned:F1} ms), sbatch {hand[^1].ToStart:F1} ms (returned after {hand[^1].Returned:F1} ms)");
}

double apiMedian = Stats.Median(api.Select(s => s.ToStart)), handMedian = Stats.Median(hand.Select(s => s.ToStart));
Console.WriteLine($"median API submit to process start:           {apiMedian:F1} ms");
Console.WriteLine($"median sbatch by hand to process start:       {handMedian:F1} ms");
Console.WriteLine($"ratio API/sbatch:                             {apiMedian / handMedian:F3} (target <= 1.15)");
Console.WriteLine($"  paired, run by run: median difference {Stats.Median(api.Zip(hand, (a, b) => a.ToStart - b.ToStart)):F1} ms, median ratio {Stats.Median(api.Zip(hand, (a, b) => a.ToStart / b.ToStart)):F3}");
Console.WriteLine($"  means (each arm's place in Slurm's tick is random, so these are its expectations): API {api.Average(s => s.ToStart):F1} ms, sbatch {hand.Average(s => s.ToStart):F1} ms, ratio {api.Average(s => s.ToStart) / hand.Average(s => s.ToStart):F3}");
Console.WriteLine($"  spread: API {Stats.Quantile(api.Select(s => s.ToStart), 0.1):F1}-{Stats.Quantile(api.Select(s => s.ToStart), 0.9):F1} ms, sbatch {Stats.Quantile(hand.Select(s => s.ToStart), 0.1):F1}-{Stats.Quantile(hand.Select(s => s.ToStart), 0.9):F1} ms (10th-90th percentile)");
Console.WriteLine($"  the call itself: POST answered 201 after {Stats.Median(api.Select(s => s.Returned)):F1} ms, sbatch returned after {Stats.Median(hand.Select(s => s.Returned)):F1} ms (medians)");
SlurmLogTimes.Print(options.Value("--slurmctld-log"), api, hand);
Console.WriteLine($"load average at the end: {Host.LoadAverage()}");

namespace Portal.Bench.Slurm
{
    /// <summary>One timed start: from just before the call to the process's stamp, and to the call's return.</summary>
    internal sealed record Sample(double ToStart, double Returned)
    {
        /// <summary>The local wall clock just before the call, to find the job in slurmctld's log (local, milliseconds).</summary>
        public DateTime CalledAt { get; init; }
    }

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

    /// <summary>What run.sh passes. Stamps is the folder in the user's home mounted at /stamps in every container;
    /// HandOutput is where the hand-submitted jobs' output goes.</summary>
    internal sealed record BenchOptions(string Mode, IReadOnlyList<string> Args)
    {
        public static BenchOptions Parse(string[] args) =>
            args.Length > 0 && args[0] is "submit" or "squeue" or "connect" ? new BenchOptions(args[0], args[1..]) : throw new ArgumentException("usage: submit|squeue|connect --option value ...");

        public string Value(string name) => Args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"missing {name}");

        public int Number(string name) => int.Parse(Value(name), CultureInfo.InvariantCulture);

        public int Iterations => Number("--iterations");

        public int WarmUp => Number("--warm-up");
    }

    internal sealed class SubmitBench(BenchOptions o) : IDisposable
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

        /// <summary>
        /// Every submission starts from the same state: the previous job COMPLETED in Slurm's own word, its containers
        /// removed, then a pause of a second plus a random part of Slurm's scheduling tick. Before it the arms differed:
        /// the portal notices a job's end on its 2-s poll, so a hand submission came long after the node went idle, and
        /// an API one right after Slurm said COMPLETED.
        /// </summary>
        /// <remarks>
        /// slurmctld gives batch jobs their nodes from a background pass on a fixed cadence (every second with
        /// <c>batch_sched_delay=0</c>, every three by default; its "sched: Allocate" lines fall on that grid), so a
        /// job's scheduling wait is where in that tick it arrived. With a fixed pause, each arm kept its own place in the
        /// tick run after run, and that, not the submitting path, decided which arm waited longer (one run: 0.82, the
        /// next 1.60, for the same code). The random part gives both arms the same spread of places.
        /// </remarks>
        private TimeSpan Settle() => TimeSpan.FromSeconds(1 + _phase.NextDouble() * _tickSeconds);

        private readonly double _tickSeconds = o.Number("--sched-tick");

        /// <summary>Seeded, so a run can be repeated with the same pauses.</summary>
        private readonly Random _phase = new(o.Number("--seed"));

        /// <summary>Marks where the stamp's file name goes in the captured batch script.</summary>
        private const string StampSlot = "/stamps/@STAMP@";

        private readonly HttpClient _http = new() { BaseAddress = new Uri(o.Value("--url")), DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", o.Value("--token")) } };

        private readonly string _user = o.Value("--user");

        private readonly (string Uid, string Gid) _ids = (Output(["id", "-u", o.Value("--user")]).Trim(), Output(["id", "-g", o.Value("--user")]).Trim());

        /// <summary>The batch script the launcher gave sbatch for the first portal job, with the stamp's name as a slot.</summary>
        private string? _script;

        /// <summary>Arm A: POST /api/v1/jobs, as a script would; then, untimed, waits for the job to end and removes its container.</summary>
        public async Task<Sample> ThroughApiAsync(string name)
        {
            string stamp = $"a-{name}";
            DateTime calledAt = DateTime.Now;
            long start = Stopwatch.GetTimestamp();
            long id = await SubmitAsync(stamp);
            double returned = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            double toStart = await UntilStampAsync(start, stamp, () => FailedJobAsync(id));

            await UntilEndedAsync(id);
            await UntilCompletedAsync((await JobAsync(id))["backend"]!["jobId"]!.GetValue<string>());
            RemoveContainers();
            await Task.Delay(Settle());
            return new Sample(toStart, returned) { CalledAt = calledAt };
        }

        /// <summary>POST /api/v1/jobs of the job that runs the stamp program; returns the portal's job id.</summary>
        private async Task<long> SubmitAsync(string stamp)
        {
            string body = new JsonObject
            {
                ["name"] = $"bench-{stamp}",
                ["image"] = o.Value("--image"),
                ["command"] = new JsonArray("/bin/stamp", $"/stamps/{stamp}"),
                ["mounts"] = new JsonArray(new JsonObject { ["source"] = o.Value("--stamps"), ["target"] = "/stamps", ["readOnly"] = false }),
                ["cpus"] = 1,
                ["memoryMiB"] = 256,
                ["walltimeMinutes"] = 10,
            }.ToJsonString();

            using var response = await _http.PostAsync(new Uri("/api/v1/jobs", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
            string answer = await response.Content.ReadAsStringAsync();
            return response.IsSuccessStatusCode ? JsonNode.Parse(answer)!["id"]!.GetValue<long>()
                : throw new InvalidOperationException($"POST /api/v1/jobs answered {(int)response.StatusCode}: {answer}");
        }

        /// <summary>
        /// Arm B: the same user submits the same batch script with sbatch, with the options the launcher gives a job of
        /// this size (SlurmArgs.Sbatch), script on stdin; then, untimed, waits until Slurm has the job completed.
        /// </summary>
        public async Task<Sample> ByHandAsync(string name)
        {
            string stamp = $"b-{name}";
            string script = (_script ?? throw new InvalidOperationException("no batch script captured: the API arm runs first")).Replace(StampSlot, $"/stamps/{stamp}", StringComparison.Ordinal);
            string home = $"/home/{_user}";
            List<string> argv = AsUser(["/usr/bin/sbatch", "--parsable", "--export=NONE", $"--job-name=hand-{name}", $"--chdir={home}",
                $"--output={o.Value("--hand-output")}/hand-%j.out", "--open-mode=append", "--no-requeue", "--nodes=1", "--ntasks=1",
                "--cpus-per-task=1", "--mem=256M", "--time=10", $"--partition={o.Value("--partition")}"]);

            DateTime calledAt = DateTime.Now;
            long start = Stopwatch.GetTimestamp();
            string jobId = Output(argv, script).Trim();
            double returned = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            double toStart = await UntilStampAsync(start, stamp, () => Task.FromResult(SlurmFailure(jobId)));

            await UntilCompletedAsync(jobId);
            RemoveContainers();
            await Task.Delay(Settle());
            return new Sample(toStart, returned) { CalledAt = calledAt };
        }

        /// <summary>
        /// The batch script the launcher gives sbatch for a portal job like the timed ones, as Slurm holds it
        /// (<c>scontrol write batch_script</c>, as root). Slurm keeps a job's script only while it needs it, so the
        /// partition is down meanwhile: the job pends, its script is read, then the partition comes up and it runs.
        /// </summary>
        public async Task CaptureScriptAsync()
        {
            string partition = $"PartitionName={o.Value("--partition")}";
            _ = Output(Slurm(["/usr/bin/scontrol", "update", partition, "State=DOWN"]));
            try
            {
                string stamp = "a-script";
                long id = await SubmitAsync(stamp);
                long deadline = Stopwatch.GetTimestamp() + (long)(Deadline.TotalSeconds * Stopwatch.Frequency);
                string? slurmId;
                while ((slurmId = (await JobAsync(id))["backend"]?["jobId"]?.GetValue<string>()) is null)
                {
                    if (Stopwatch.GetTimestamp() > deadline || await FailedJobAsync(id) is not null)
                    {
                        throw new InvalidOperationException($"job {id} was not handed to Slurm: {(await JobAsync(id)).ToJsonString()}");
                    }

                    await Task.Delay(100);
                }

                string script = Output(Slurm(["/usr/bin/scontrol", "write", "batch_script", slurmId, "-"]));
                string word = $"/stamps/{stamp}";
                if (!script.StartsWith("#!", StringComparison.Ordinal) || !script.Contains(word, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"the batch script of Slurm job {slurmId} does not run {word}:\n{script}");
                }

                _script = script.Replace(word, StampSlot, StringComparison.Ordinal);
                Console.Error.WriteLine($"   the launcher's batch script of Slurm job {slurmId} ({script.Length} characters) is the hand arm's script");
                _ = Output(Slurm(["/usr/bin/scontrol", "update", partition, "State=UP"]));
                _ = await UntilStampAsync(Stopwatch.GetTimestamp(), stamp, () => FailedJobAsync(id));
                await UntilEndedAsync(id);
                RemoveContainers();
            }
            finally
            {
                _ = Output(Slurm(["/usr/bin/scontrol", "update", partition, "State=UP"]));
            }
        }

        /// <summary>
        /// Milliseconds from <paramref name="start"/> to the monotonic time the container's first process wrote. The
        /// file is looked for every 5 ms, which costs the same in both arms and does not enter the figure: the figure
        /// is the stamp's own time, not the time the stamp was seen.
        /// </summary>
        private async Task<double> UntilStampAsync(long start, string stamp, Func<Task<string?>> failure)
        {
            string path = Path.Combine(o.Value("--stamps"), stamp);
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

        /// <summary>Untimed: the job's command exits at once; the portal notices within its poll interval.</summary>
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

        /// <summary>Untimed: Slurm's own word that the hand-submitted job has completed.</summary>
        private async Task UntilCompletedAsync(string jobId)
        {
            long deadline = Stopwatch.GetTimestamp() + (long)(Deadline.TotalSeconds * Stopwatch.Frequency);
            while (SlurmState(jobId) != "COMPLETED")
            {
                if (SlurmFailure(jobId) is { } failure || Stopwatch.GetTimestamp() > deadline)
                {
                    throw new InvalidOperationException($"Slurm job {jobId} did not complete: {SlurmState(jobId)}");
                }

                await Task.Delay(100);
            }
        }

        private string SlurmState(string jobId) =>
            Output(Slurm(["/usr/bin/squeue", "--noheader", "--states=all", $"--jobs={jobId}", "--format=%T"])).Trim();

        private string? SlurmFailure(string jobId)
        {
            string state = SlurmState(jobId);
            return state is "FAILED" or "CANCELLED" or "TIMEOUT" or "NODE_FAIL" or "OUT_OF_MEMORY" or "BOOT_FAIL" or "DEADLINE" or "PREEMPTED"
                ? $"{state}: {string.Join(' ', Directory.EnumerateFiles(o.Value("--hand-output"), $"hand-{jobId}.out").Select(File.ReadAllText))}"
                : null;
        }

        private async Task<JsonNode> JobAsync(long id) =>
            JsonNode.Parse(await _http.GetStringAsync(new Uri($"/api/v1/jobs/{id}", UriKind.Relative)))!;

        /// <summary>Untimed, after each start: the user's containers (both arms run them with --rm), so every start begins from none.</summary>
        private void RemoveContainers() => Output(AsUser(["/usr/bin/podman", "rm", "--all", "--force", "--time", "0"]));

        /// <summary>A Slurm tool as root against the bench's cluster.</summary>
        private List<string> Slurm(IEnumerable<string> command) =>
            ["env", "-i", "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "TZ=UTC", $"SLURM_CONF={o.Value("--slurm-conf")}", .. command];

        /// <summary>setpriv to the user with its groups and a clean login-like environment, from / (as bench/submit).</summary>
        private List<string> AsUser(IEnumerable<string> command) =>
            ["setpriv", "--reuid", _ids.Uid, "--regid", _ids.Gid, "--init-groups", "--",
                "env", "-i", $"HOME=/home/{_user}", $"USER={_user}", $"LOGNAME={_user}", "PATH=/usr/bin:/bin",
                $"XDG_RUNTIME_DIR=/run/user/{_ids.Uid}", "LANG=C.UTF-8", "TZ=UTC", $"SLURM_CONF={o.Value("--slurm-conf")}", .. command];

        /// <summary>Starts the command with <paramref name="stdin"/> (or none), waits for it, and returns its stdout; throws unless it exits 0.</summary>
        internal static string Output(List<string> argv, string stdin = "")
        {
            var psi = new ProcessStartInfo(argv[0]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
            foreach (string arg in argv.Skip(1))
            {
                psi.ArgumentList.Add(arg);
            }

            using Process process = Process.Start(psi)!;
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
            // stdout is small (a job id, a state word, a batch script): read after stderr without risk of a full pipe.
            string stderr = process.StandardError.ReadToEnd();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? stdout
                : throw new InvalidOperationException($"{string.Join(' ', argv)} exited {process.ExitCode}: {stderr} {stdout}");
        }

        public void Dispose() => _http.Dispose();
    }

    /// <summary>
    /// One poll of the Slurm backend, timed: SlurmCommands.QueueAsync with the ids in --ids (one per line), exactly as
    /// the backend calls it each tick (its squeue argv, clean environment, stderr check and parsing). Runs as whoever
    /// starts it: run.sh starts it as the portal's account, as the portal runs its queries.
    /// </summary>
    internal static class SqueuePoll
    {
        public static async Task RunAsync(BenchOptions o)
        {
            long[] ids = [.. File.ReadAllLines(o.Value("--ids")).Where(l => l.Length > 0).Select(l => long.Parse(l.Split(';')[0], CultureInfo.InvariantCulture))];
            var slurmOptions = new SlurmOptions { ConfigFile = o.Value("--slurm-conf"), CommandTimeout = TimeSpan.FromMinutes(2) };
            var commands = new SlurmCommands(Options.Create(slurmOptions), NullLogger<SlurmCommands>.Instance);
            int runs = o.Number("--runs");
            List<double> times = [];
            int seen = 0;
            for (int i = 0; i <= runs; i++)
            {
                long start = Stopwatch.GetTimestamp();
                var jobs = await commands.QueueAsync(ids, CancellationToken.None);
                double elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                seen = jobs.Count;
                if (i > 0)
                {
                    // The first run is a warm-up (the tool's pages, slurmctld's caches): untimed.
                    times.Add(elapsed);
                }
            }

            Console.WriteLine($"{o.Value("--label")}: one poll of {ids.Length} job ids ({seen} in squeue's answer): median {Stats.Median(times):F1} ms, min {times.Min():F1} ms, max {times.Max():F1} ms over {runs} polls (load average {Host.LoadAverage()})");
        }
    }
}

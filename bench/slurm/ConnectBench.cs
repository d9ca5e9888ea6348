using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Launcher.Protocol;

namespace Portal.Bench.Slurm;

/// <summary>
/// A session's connection on the cluster: what the portal's proxy pays for each new connection to an app on a node
/// (sudo, the launcher's slurm-connect with its squeue check, the srun step, the node's sockbridge) against the same
/// user's srun step with the same sockbridge by hand, each carrying one HTTP GET to the same app, alternating, in one
/// process. Both arms start their process through setpriv (as the portal's account and as the user) and end when the
/// app's answer has been read to its end.
/// </summary>
internal sealed class ConnectBench(BenchOptions o) : IDisposable
{
    private static readonly byte[] Get = Encoding.ASCII.GetBytes("GET /index.html HTTP/1.0\r\nHost: app\r\n\r\n");

    private readonly HttpClient _http = new() { BaseAddress = new Uri(o.Value("--url")), DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", o.Value("--token")) } };

    private readonly string _user = o.Value("--user");

    private long _job;

    private long _slurmJob;

    /// <summary>Each arm's command line, made once before the timing (setpriv's ids looked up beforehand).</summary>
    private List<string> _launcherArgv = [], _handArgv = [];

    public static async Task RunAsync(BenchOptions o)
    {
        using var bench = new ConnectBench(o);
        await bench.StartSessionAsync();
        try
        {
            Console.Error.WriteLine($"== {o.WarmUp} of each untimed, then {o.Iterations} of each, alternating (load average {Host.LoadAverage()})");
            for (int i = 0; i < o.WarmUp; i++)
            {
                _ = await bench.ThroughLauncherAsync();
                _ = await bench.ByHandAsync();
            }

            List<double> launcher = [], hand = [];
            for (int i = 1; i <= o.Iterations; i++)
            {
                launcher.Add(await bench.ThroughLauncherAsync());
                hand.Add(await bench.ByHandAsync());
            }

            double a = Stats.Median(launcher), b = Stats.Median(hand);
            Console.WriteLine($"median new connection + GET through the launcher (slurm-connect): {a:F1} ms");
            Console.WriteLine($"median new connection + GET, srun + sockbridge by hand:           {b:F1} ms");
            Console.WriteLine($"ratio launcher/by hand:                                         {a / b:F3}");
            Console.WriteLine($"  spread: launcher {Stats.Quantile(launcher, 0.1):F1}-{Stats.Quantile(launcher, 0.9):F1} ms, by hand {Stats.Quantile(hand, 0.1):F1}-{Stats.Quantile(hand, 0.9):F1} ms (10th-90th percentile)");
            Console.WriteLine($"load average at the end: {Host.LoadAverage()}");
        }
        finally
        {
            await bench.CancelAsync();
        }
    }

    /// <summary>A web-app session through the API (busybox httpd behind sockbridge), until a GET by hand is answered.</summary>
    private async Task StartSessionAsync()
    {
        string body = new JsonObject
        {
            ["name"] = "bench-session",
            ["image"] = o.Value("--image"),
            ["command"] = new JsonArray("sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www"),
            ["session"] = new JsonObject { ["kind"] = "webapp", ["port"] = 8080 },
            ["cpus"] = 1,
            ["memoryMiB"] = 256,
            ["walltimeMinutes"] = 30,
        }.ToJsonString();
        using var response = await _http.PostAsync(new Uri("/api/v1/jobs", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        string answer = await response.Content.ReadAsStringAsync();
        _job = response.IsSuccessStatusCode ? JsonNode.Parse(answer)!["id"]!.GetValue<long>()
            : throw new InvalidOperationException($"POST /api/v1/jobs answered {(int)response.StatusCode}: {answer}");

        var started = Stopwatch.StartNew();
        while (true)
        {
            JsonNode job = JsonNode.Parse(await _http.GetStringAsync(new Uri($"/api/v1/jobs/{_job}", UriKind.Relative)))!;
            string state = job["state"]!.GetValue<string>();
            if (state == "Running" && job["backend"]?["jobId"]?.GetValue<string>() is { } slurmId)
            {
                _slurmJob = long.Parse(slurmId, CultureInfo.InvariantCulture);
                PrepareCommands();
                break;
            }

            if (state is "Failed" or "Cancelled" or "TimedOut" or "Lost" || started.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new InvalidOperationException($"the session did not start: {job.ToJsonString()}");
            }

            await Task.Delay(200);
        }

        while (!(await ByHandAnswerAsync()).StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            if (started.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new InvalidOperationException("the session's app never answered");
            }

            await Task.Delay(200);
        }

        Console.Error.WriteLine($"   session job {_job} runs as Slurm job {_slurmJob}; its app answers");
    }

    private async Task CancelAsync()
    {
        using var response = await _http.PostAsync(new Uri($"/api/v1/jobs/{_job}/cancel", UriKind.Relative), null);
    }

    /// <summary>Arm A: what the portal's proxy runs for one new connection, as the portal's account.</summary>
    private async Task<double> ThroughLauncherAsync()
    {
        var request = new LauncherRequest
        {
            Version = LauncherProtocol.Version, Verb = LauncherVerbs.SlurmConnect, User = _user, Job = JobKeys.Format(_job),
            Slurm = new SlurmSpec { JobId = _slurmJob },
        };
        byte[] line = [.. JsonSerializer.SerializeToUtf8Bytes(request, LauncherJsonContext.Default.LauncherRequest), (byte)'\n'];
        long start = Stopwatch.GetTimestamp();
        string answer = await ExchangeAsync(_launcherArgv, line, LauncherProtocol.ConnectedLine + "\n");
        double elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return answer.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) ? elapsed : throw new InvalidOperationException("through the launcher: " + answer);
    }

    /// <summary>Arm B: the same user's own srun step into the session's job, running the same sockbridge.</summary>
    private async Task<double> ByHandAsync()
    {
        long start = Stopwatch.GetTimestamp();
        string answer = await ByHandAnswerAsync();
        double elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return answer.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) ? elapsed : throw new InvalidOperationException("by hand: " + answer);
    }

    private Task<string> ByHandAnswerAsync() => ExchangeAsync(_handArgv, [], null);

    private void PrepareCommands()
    {
        _launcherArgv = As(o.Value("--svc"), ["/usr/bin/sudo", "-n", o.Value("--launcher")]);
        string uid = SubmitBench.Output(["id", "-u", _user]).Trim();
        string socket = SlurmNames.NodeSessionFolder(uint.Parse(uid, CultureInfo.InvariantCulture), _slurmJob) + "/" + SessionRules.SocketName;
        // The launcher's own srun argv (SlurmArgs.Connect), with the environment it gives the Slurm tools.
        _handArgv = As(_user, ["env", "-i", $"HOME=/home/{_user}", $"USER={_user}", $"LOGNAME={_user}", "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
            $"SLURM_CONF={o.Value("--slurm-conf")}", "/usr/bin/srun", $"--jobid={_slurmJob}", "--overlap", "--unbuffered", "--quiet", "--nodes=1",
            "--ntasks=1", "--export=NONE", "--job-name=portal-relay", "--", o.Value("--bridge"), "--connect", socket]);
    }

    /// <summary>Starts the command, sends <paramref name="first"/>, waits for <paramref name="ready"/> when given, then
    /// sends the GET and reads the answer to its end.</summary>
    private static async Task<string> ExchangeAsync(List<string> argv, byte[] first, string? ready)
    {
        var psi = new ProcessStartInfo(argv[0]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (string arg in argv.Skip(1))
        {
            psi.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(psi)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Stream input = process.StandardInput.BaseStream, output = process.StandardOutput.BaseStream;
        await input.WriteAsync(first);
        await input.FlushAsync();
        if (ready is not null)
        {
            var seen = new StringBuilder();
            var one = new byte[1];
            while (seen.Length < ready.Length && await output.ReadAsync(one) == 1)
            {
                seen.Append((char)one[0]);
            }

            if (seen.ToString() != ready)
            {
                await process.WaitForExitAsync();
                return $"no relay ({seen}): {await stderr}";
            }
        }

        await input.WriteAsync(Get);
        await input.FlushAsync();
        using var reader = new StreamReader(output, Encoding.UTF8);
        string answer = await reader.ReadToEndAsync();
        input.Close();
        await process.WaitForExitAsync();
        return answer.Length > 0 ? answer : await stderr;
    }

    /// <summary>setpriv to <paramref name="account"/> with its groups, from /.</summary>
    private static List<string> As(string account, IEnumerable<string> command) =>
        ["setpriv", "--reuid", SubmitBench.Output(["id", "-u", account]).Trim(), "--regid", SubmitBench.Output(["id", "-g", account]).Trim(), "--init-groups", "--", .. command];

    public void Dispose() => _http.Dispose();
}

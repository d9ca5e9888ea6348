using System.Text;
using Portal.Launcher.Protocol;
using Portal.Slurm.Tests.Infrastructure;

namespace Portal.Slurm.Tests.Launcher;

/// <summary>
/// An app as one Slurm job, through the launcher, on the real local cluster: the batch script builds the pod on the
/// node as the owner, starts the services in order (a dependent only once its dependency's health check passes), hands
/// each its share of Slurm's GPUs and its own log, serves the web front through the job, and leaves nothing behind
/// when the job ends, whichever way it ends.
/// </summary>
[Collection(SlurmHostGroup.Name)]
public sealed class SlurmAppTests(SlurmHost host) : IAsyncLifetime
{
    private readonly SubmittedJobs _jobs = new(host);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _jobs.CancelAllAsync();

    private static string NewJob() => "a" + Guid.NewGuid().ToString("N")[..10];

    private static AppServiceSpec Service(string name, string script, int gpus = 0) => new()
    {
        Name = name,
        Run = new RunSpec { Image = SlurmHost.Image, Command = ["sh", "-c", script], MemoryMiB = 100, Cpus = 0.5 },
        GpuCount = gpus,
    };

    /// <summary>db serves a page made from its secret (from its environment file) and is healthy once it answers;
    /// web, the front, waits for that, fetches the page from db by name and serves it; idle has no GPU.</summary>
    private static AppSpec ThreeServices(string secret)
    {
        const string Gpus = "gpu=$CUDA_VISIBLE_DEVICES|$NVIDIA_VISIBLE_DEVICES";
        AppServiceSpec db = Service("db", $"sleep 2; echo \"db {Gpus}\"; mkdir -p /www && echo \"from db $SECRET\" > /www/index.html"
            + " && touch /shared/db-was-here && exec httpd -f -p 127.0.0.1:5000 -h /www", gpus: 1);
        AppServiceSpec web = Service("web", $"echo \"web {Gpus}\"; mkdir -p /www && wget -q -O /www/index.html http://db:5000/index.html"
            + " && ls /shared && exec httpd -f -p 127.0.0.1:8080 -h /www", gpus: 1);
        return new AppSpec
        {
            Volumes = ["shared"],
            Services =
            [
                db with
                {
                    Run = db.Run with { Env = new Dictionary<string, string> { ["SECRET"] = secret } },
                    Volumes = [new AppVolumeMountSpec { Volume = "shared", Target = "/shared" }],
                    Healthcheck = new HealthcheckSpec { Test = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:5000/index.html"], IntervalSeconds = 1, TimeoutSeconds = 5, Retries = 30 },
                },
                web with
                {
                    Run = web.Run with { Session = new SessionSpec { BridgePort = 8080 } },
                    Volumes = [new AppVolumeMountSpec { Volume = "shared", Target = "/shared", ReadOnly = true }],
                    DependsOn = [new DependencySpec { Service = "db", Condition = DependencyConditions.Healthy }],
                },
                Service("idle", $"echo \"idle {Gpus}\"; exec sleep 599"),
            ],
        };
    }

    [Fact]
    public async Task AnApp_RunsItsServicesInOrder_EachWithItsGpusAndLog_AndItsFrontAnswersThroughTheJob_ThenLeavesNothing()
    {
        var job = NewJob();
        var secret = "s3cret-" + Guid.NewGuid().ToString("N")[..8];

        var id = await _jobs.SubmitAppAsync(host.Alice, job, ThreeServices(secret));
        await SlurmJobs.WaitForStateAsync(id, "RUNNING");
        await WaitForLineAsync(job, id, null, "portal: the app's 3 services started");

        // The front, through a step of the job, serves what it fetched from db by name once db was healthy.
        string page = await PageAsync(job, id);
        Assert.EndsWith("from db " + secret + "\n", page, StringComparison.Ordinal);
        // Each service its own log; each GPU service one of Slurm's two, seen as 0; the service without sees none.
        // (A service writes its lines once it runs: each is waited for, not raced.)
        Assert.True(await WaitForLineAsync(job, id, "db", "db gpu=0|0"));
        Assert.True(await WaitForLineAsync(job, id, "web", "db-was-here"));
        Assert.True(await WaitForLineAsync(job, id, "web", "web gpu=0|0"));
        Assert.True(await WaitForLineAsync(job, id, "idle", "idle gpu=|void"));
        // Every service runs as the owner's uid on the node, and the secret went through a file that is gone.
        Assert.True(await LocalSlurmCluster.WaitForAsync(() => Task.FromResult(SlurmJobs.ProcessesOf(host.Alice.Uid, "sleep 599").Count > 0),
            TimeSpan.FromSeconds(30), "idle's sleep as the owner's uid"));
        Assert.False(SlurmJobs.AnyProcessShows(secret), "the secret shows in a process's command line or environment");
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(host.Alice.Home, SlurmNames.OutputDirectory), "*.env"));

        await host.Launcher.CancelAsync(host.Alice.Name, job, id);

        await WaitForNothingLeftAsync(job, id);
    }

    [Fact]
    public async Task AServiceThatNeverBecomesHealthy_FailsTheApp_ItsDependentNeverStarts_AndNothingIsLeft()
    {
        var job = NewJob();
        var app = new AppSpec
        {
            Services =
            [
                Service("db", "exec sleep 600") with
                {
                    Healthcheck = new HealthcheckSpec { Test = ["CMD", "false"], IntervalSeconds = 1, TimeoutSeconds = 5, Retries = 2 },
                },
                Service("web", "echo web ran; exec sleep 600") with
                {
                    DependsOn = [new DependencySpec { Service = "db", Condition = DependencyConditions.Healthy }],
                },
            ],
        };

        var id = await _jobs.SubmitAppAsync(host.Alice, job, app);

        await SlurmJobs.WaitForStateAsync(id, "FAILED", TimeSpan.FromSeconds(90));
        Assert.Contains("portal: service 'db' did not become healthy (2 failed checks)", await LogAsync(job, id, null));
        Assert.False(File.Exists(ServiceLogPath(job, id, "web")), "web started although db never became healthy");
        await WaitForNothingLeftAsync(job, id);
    }

    private string ServiceLogPath(string job, long id, string service) =>
        Path.Combine(host.Alice.Home, SlurmNames.OutputDirectory, SlurmNames.ServiceOutputFile(job, id, service));

    /// <summary>The whole log (of the job, or of one service) as it is now, read through the launcher as the owner.</summary>
    private async Task<string> LogAsync(string job, long id, string? service)
    {
        var text = new StringBuilder();
        await foreach (var line in host.Launcher.StreamLogAsync(host.Alice.Name, job, id, new LogsSpec { Service = service }))
        {
            text.Append(line).Append('\n');
        }

        return text.ToString();
    }

    private Task<bool> WaitForLineAsync(string job, long id, string? service, string line) =>
        LocalSlurmCluster.WaitForAsync(async () => (await LogAsync(job, id, service)).Contains(line, StringComparison.Ordinal),
            TimeSpan.FromSeconds(90), $"'{line}' in the log");

    private async Task<string> PageAsync(string job, long id)
    {
        string answer = "";
        await LocalSlurmCluster.WaitForAsync(async () =>
        {
            try
            {
                await using Stream connection = await host.Launcher.ConnectAsync(host.Alice.Name, job, id);
                await connection.WriteAsync(Encoding.ASCII.GetBytes("GET /index.html HTTP/1.0\r\nHost: app\r\n\r\n"));
                await connection.FlushAsync();
                using var reader = new StreamReader(connection, Encoding.UTF8);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                answer = await reader.ReadToEndAsync(timeout.Token);
            }
            catch (IOException)
            {
                answer = "";
            }

            return answer.StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(60), "the app's front to answer through the relay");
        return answer;
    }

    /// <summary>Once the job has ended: no pod, container or volume of the app in the owner's podman, no hosts file, no
    /// session folder.</summary>
    private async Task WaitForNothingLeftAsync(string job, long id)
    {
        await LocalSlurmCluster.WaitForAsync(async () => (await SlurmJobs.ReadAsync(id))?.State is null or "CANCELLED" or "COMPLETED" or "FAILED",
            TimeSpan.FromSeconds(60), $"Slurm job {id} to end");
        string label = $"label={LauncherProtocol.AppLabel}={job}";
        await LocalSlurmCluster.WaitForAsync(async () =>
            (await host.Alice.PodmanAsync("pod", "ps", "--quiet", "--filter", label)).Stdout.Trim().Length == 0
            && (await host.Alice.PodmanAsync("ps", "--all", "--quiet", "--filter", label)).Stdout.Trim().Length == 0
            && (await host.Alice.PodmanAsync("volume", "ls", "--quiet", "--filter", label)).Stdout.Trim().Length == 0,
            TimeSpan.FromSeconds(60), "the app's pod, containers and volumes to be removed");
        Assert.False(Directory.Exists(SlurmNames.NodeSessionFolder(host.Alice.Uid, id)), "the session folder is left");
        Assert.Empty(Directory.EnumerateFiles(host.Alice.RuntimeDirectory, "*.hosts").Concat(
            Directory.Exists($"/tmp/portal-run-{host.Alice.Uid}") ? Directory.EnumerateFiles($"/tmp/portal-run-{host.Alice.Uid}", "*.hosts") : []));
    }
}

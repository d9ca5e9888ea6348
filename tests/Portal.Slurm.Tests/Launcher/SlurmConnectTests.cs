using System.Globalization;
using System.Text;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Slurm.Tests.Infrastructure;
using Portal.Web.Tests.Jobs;

namespace Portal.Slurm.Tests.Launcher;

/// <summary>
/// A session on the cluster through the launcher: the batch script gives the app a socket folder on the node, and
/// <c>slurm-connect</c> reaches it as the owner through a step of the owner's own job; nobody else gets through.
/// </summary>
[Collection(SlurmHostGroup.Name)]
public sealed class SlurmConnectTests(SlurmHost host) : IAsyncLifetime
{
    private readonly SubmittedJobs _jobs = new(host);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _jobs.CancelAllAsync();

    private static string NewJob() => "c" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>busybox httpd on a TCP port of the container's own loopback (no network), served on the session
    /// socket by the node's sockbridge, with a page that says <paramref name="words"/>.</summary>
    private static RunSpec WebApp(string words) => new()
    {
        Image = SlurmHost.Image,
        Command = ["sh", "-c", $"mkdir -p /www && echo '{words}' > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www"],
        MemoryMiB = 200,
        Session = new SessionSpec { BridgePort = 8080 },
    };

    private Task<long> SubmitAsync(SlurmTestUser user, string job, RunSpec spec) => _jobs.SubmitAsync(user, job, spec);

    /// <summary>One HTTP/1.0 GET through the relay; what came back (empty while the app is not listening yet: then the
    /// relay ends at once, and the GET may even find the pipe closed).</summary>
    private async Task<string> GetAsync(string user, string job, long slurmJobId)
    {
        await using Stream connection = await host.Launcher.ConnectAsync(user, job, slurmJobId);
        try
        {
            await connection.WriteAsync(Encoding.ASCII.GetBytes("GET /index.html HTTP/1.0\r\nHost: app\r\n\r\n"));
            await connection.FlushAsync();
            using var reader = new StreamReader(connection, Encoding.UTF8);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            return await reader.ReadToEndAsync(timeout.Token);
        }
        catch (IOException)
        {
            return "";
        }
    }

    private async Task<string> PageAsync(string user, string job, long slurmJobId)
    {
        string answer = "";
        await LocalSlurmCluster.WaitForAsync(async () => (answer = await GetAsync(user, job, slurmJobId)).StartsWith("HTTP/1.", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "the app to answer through the relay");
        return answer;
    }

    [Fact]
    public async Task ASessionsApp_AnswersItsOwnerThroughTheJob_AndListensOnNoNetworkOfTheNode()
    {
        var job = NewJob();
        var id = await SubmitAsync(host.Alice, job, WebApp("hello " + job));
        await SlurmJobs.WaitForStateAsync(id, "RUNNING");

        string page = await PageAsync(host.Alice.Name, job, id);

        Assert.StartsWith("HTTP/1.1 200 OK", page, StringComparison.Ordinal);
        Assert.EndsWith("hello " + job + "\n", page, StringComparison.Ordinal);
        // The app's folder on the node: the owner's alone.
        var folder = SlurmNames.NodeSessionFolder(host.Alice.Uid, id);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.Equal(host.Alice.Uid.ToString(CultureInfo.InvariantCulture), (await Sh.CheckedAsync("/usr/bin/stat", "-c", "%u", folder)).Trim());
        // httpd's port is the container's own (--network none): nothing on the node listens on it.
        Assert.DoesNotContain(":1F90 00000000:0000 0A", await File.ReadAllTextAsync("/proc/net/tcp"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneConnection_CarriesBothWaysAsTheBytesCome_AsAWebSocketNeeds()
    {
        var job = NewJob();
        // An echo server: every connection gets cat, which answers each line as it arrives.
        var id = await SubmitAsync(host.Alice, job, new RunSpec
        {
            Image = SlurmHost.Image, Command = ["nc", "-ll", "-p", "8080", "-e", "cat"], MemoryMiB = 200, Session = new SessionSpec { BridgePort = 8080 },
        });
        await SlurmJobs.WaitForStateAsync(id, "RUNNING");

        string? first = null;
        Stream? connection = null;
        await LocalSlurmCluster.WaitForAsync(async () =>
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            connection = await host.Launcher.ConnectAsync(host.Alice.Name, job, id);
            first = await RoundTripAsync(connection, "ping 1");
            return first is not null;
        }, TimeSpan.FromSeconds(60), "the echo server to answer through the relay");
        await using (connection)
        {
            // The same connection, again and again: nothing waits for more input or for the end before passing bytes on.
            var later = new List<string?>();
            for (int i = 2; i <= 4; i++)
            {
                later.Add(await RoundTripAsync(connection!, "ping " + i.ToString(CultureInfo.InvariantCulture)));
            }

            Assert.Equal("ping 1", first);
            Assert.Equal(["ping 2", "ping 3", "ping 4"], later);
        }
    }

    /// <summary>Writes one line and reads one line back within 10 s; null when the connection ended or stayed silent.</summary>
    private static async Task<string?> RoundTripAsync(Stream connection, string line)
    {
        try
        {
            await connection.WriteAsync(Encoding.ASCII.GetBytes(line + "\n"));
            await connection.FlushAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var answer = new List<byte>();
            var one = new byte[1];
            while (await connection.ReadAsync(one, timeout.Token) == 1)
            {
                if (one[0] == (byte)'\n')
                {
                    return Encoding.ASCII.GetString([.. answer]);
                }

                answer.Add(one[0]);
            }

            return null;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            return null;
        }
    }

    [Fact]
    public async Task AnotherUser_OrAnotherJobsName_CannotConnectToTheSession_AndACancelledSessionIsGoneWithItsFolder()
    {
        var job = NewJob();
        var id = await SubmitAsync(host.Alice, job, WebApp("private " + job));
        await SlurmJobs.WaitForStateAsync(id, "RUNNING");
        await PageAsync(host.Alice.Name, job, id);

        var bob = await Assert.ThrowsAsync<LauncherException>(() => host.Launcher.ConnectAsync(host.Bob.Name, job, id));
        var otherName = await Assert.ThrowsAsync<LauncherException>(() => host.Launcher.ConnectAsync(host.Alice.Name, NewJob(), id));
        await host.Launcher.CancelAsync(host.Alice.Name, job, id);
        await SlurmJobs.WaitForStateAsync(id, "CANCELLED");
        var afterCancel = await Assert.ThrowsAsync<LauncherException>(() => host.Launcher.ConnectAsync(host.Alice.Name, job, id));

        Assert.Equal(LauncherFailure.Refused, bob.Failure);
        Assert.Contains($"of uid {host.Alice.Uid}, not portal-{job} of {host.Bob.Name}", bob.Message, StringComparison.Ordinal);
        Assert.Equal(LauncherFailure.Refused, otherName.Failure);
        Assert.Equal(LauncherFailure.Refused, afterCancel.Failure);
        Assert.Contains("not running", afterCancel.Message, StringComparison.Ordinal);
        await LocalSlurmCluster.WaitForAsync(() => Task.FromResult(!Directory.Exists(SlurmNames.NodeSessionFolder(host.Alice.Uid, id))),
            TimeSpan.FromSeconds(60), "the session folder to go");
    }
}

using System.Text;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Tests.Unit;

/// <summary>
/// The portal's side of <c>slurm-connect</c> against a stand-in launcher (a bash script): the relay stream carries
/// bytes both ways once the launcher's line came, and a refusal before that line is the launcher's refusal. The real
/// launcher, srun and sockbridge are tested on the local Slurm cluster (Portal.Slurm.Tests, SlurmConnectTests).
/// </summary>
public sealed class RelayClientTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("portal-relay-client-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ProcessLauncher StandIn(string body)
    {
        string path = Path.Combine(_dir, "launcher");
        File.WriteAllText(path, "#!/bin/bash\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new ProcessLauncher(new LauncherOptions { LauncherPath = path, UseSudo = false });
    }

    [Fact]
    public async Task AfterTheLaunchersLine_TheStreamCarriesBytesBothWays_AndTheRequestWasTheConnectVerb()
    {
        // The request line is kept for the test to read; then the launcher's line; then an echo of what comes.
        ProcessLauncher launcher = StandIn($"read -r request; printf '%s\\n' \"$request\" > {_dir}/request; echo '{LauncherProtocol.ConnectedLine}'; exec cat");

        await using Stream relay = await launcher.ConnectAsync("alice", "42", 7);
        await relay.WriteAsync(Encoding.ASCII.GetBytes("ping\n"));
        await relay.FlushAsync();
        var back = new byte[5];
        int read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (read < back.Length)
        {
            read += await relay.ReadAsync(back.AsMemory(read), timeout.Token);
        }

        Assert.Equal("ping\n", Encoding.ASCII.GetString(back));
        string request = await File.ReadAllTextAsync(Path.Combine(_dir, "request"));
        Assert.Contains("\"verb\":\"slurm-connect\"", request, StringComparison.Ordinal);
        Assert.Contains("\"jobId\":7", request, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARefusalBeforeTheLine_IsTheLaunchersRefusal_InItsWords()
    {
        ProcessLauncher launcher = StandIn("read -r request; echo 'portal-launcher: Slurm job 7 is CANCELLED, not running: its app cannot be reached.' >&2; exit 2");

        var e = await Assert.ThrowsAsync<LauncherException>(() => launcher.ConnectAsync("alice", "42", 7));

        Assert.Equal(LauncherFailure.Refused, e.Failure);
        Assert.Equal("Slurm job 7 is CANCELLED, not running: its app cannot be reached.", e.Message);
    }

    [Fact]
    public async Task ClosingTheStream_EndsTheLauncher()
    {
        string pidFile = Path.Combine(_dir, "pid");
        ProcessLauncher launcher = StandIn($"read -r request; echo $$ > {pidFile}; echo '{LauncherProtocol.ConnectedLine}'; exec cat");

        Stream relay = await launcher.ConnectAsync("alice", "42", 7);
        int pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await relay.DisposeAsync();

        Assert.True(SpinWait.SpinUntil(() => Ended(pid), TimeSpan.FromSeconds(10)), "the stand-in launcher outlived its stream");
    }

    /// <summary>Gone, or a zombie waiting to be reaped (its stat file can vanish while it is read).</summary>
    private static bool Ended(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z";
        }
        catch (IOException)
        {
            return true;
        }
    }
}

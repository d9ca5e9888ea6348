using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Portal.Core.Gpus;

namespace Portal.Core.Tests.Gpus;

/// <summary>
/// A fake <c>nvidia-smi</c> whose looping query prints exactly the rounds the test writes into a FIFO, one at a
/// time, while the test moves a <see cref="FakeTimeProvider"/>: a recorded or synthetic utilisation series goes
/// through the real sampler (process, parser, round assembly, time stamps) at simulated 1 Hz in a few seconds, and a
/// sampling gap is simply a stretch of time with no round written.
/// </summary>
internal sealed class ScriptedNvidiaSmi : IAsyncDisposable
{
    private readonly string _folder;
    private readonly FakeTimeProvider _clock;
    private readonly NvidiaSmiSampler _sampler;
    private readonly SemaphoreSlim _published = new(0);
    private FileStream? _rounds;

    private ScriptedNvidiaSmi(string folder, FakeTimeProvider clock, Action<GpuSnapshot> onSnapshot)
    {
        _folder = folder;
        _clock = clock;
        _sampler = new NvidiaSmiSampler(SamplerWait.Options(folder + ":" + Environment.GetEnvironmentVariable("PATH")), clock);
        _sampler.SnapshotPublished += (_, snapshot) =>
        {
            if (snapshot.Status == GpuDiscoveryStatus.Available)
            {
                onSnapshot(snapshot);
                _published.Release();
            }
        };
    }

    /// <summary>Starts the sampler on a fake that lists <paramref name="listOutput"/> for <c>-L</c>.</summary>
    /// <param name="listOutput">What <c>nvidia-smi -L</c> prints (the MIG layout comes from it).</param>
    /// <param name="start">The simulated time of the first round.</param>
    /// <param name="onSnapshot">Called on the sampler's task with every published reading (what the portal's GPU
    /// monitor does with them).</param>
    public static async Task<ScriptedNvidiaSmi> StartAsync(string listOutput, DateTimeOffset start, Action<GpuSnapshot> onSnapshot)
    {
        var folder = Directory.CreateTempSubdirectory("scripted-nvidia-smi-").FullName;
        File.WriteAllText(Path.Combine(folder, "list.txt"), listOutput);
        using (var mkfifo = Process.Start("mkfifo", [Path.Combine(folder, "rounds")]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // cat copies each round as it arrives (it does no stdio buffering) and ends when the test closes the FIFO.
        var script = $$"""
            #!/bin/sh
            dir=$(dirname "$0")
            case "$*" in
              "-L") cat "$dir/list.txt" ;;
              "--query-gpu={{NvidiaSmiGpuQuery.FieldList}} --format=csv,noheader,nounits -lms "*) exec cat "$dir/rounds" ;;
              *) echo "scripted nvidia-smi: unexpected arguments: $*" >&2; exit 2 ;;
            esac
            """;
        var path = Path.Combine(folder, "nvidia-smi");
        File.WriteAllText(path, script.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // The clock starts a minute early and moves while the sampler starts: should its first start fail (a loaded
        // machine, a process that cannot be spawned that instant), its restart backoff waits on this clock, and a clock
        // that never moved would leave it waiting for good. The first round still comes at <paramref name="start"/>.
        var clock = new FakeTimeProvider(start - TimeSpan.FromMinutes(1));
        var fake = new ScriptedNvidiaSmi(folder, clock, onSnapshot);
        fake._sampler.Start();
        // Opening a FIFO for writing waits for its reader: the sampler's nvidia-smi.
        var opening = Task.Run(() => new FileStream(Path.Combine(folder, "rounds"), FileMode.Open, FileAccess.Write));
        var deadline = Stopwatch.StartNew();
        while (!opening.IsCompleted && deadline.Elapsed < SamplerWait.Deadline)
        {
            await Task.WhenAny(opening, Task.Delay(TimeSpan.FromMilliseconds(100)));
            if (clock.GetUtcNow() < start - TimeSpan.FromSeconds(1))
            {
                clock.Advance(TimeSpan.FromMilliseconds(100));
            }
        }

        fake._rounds = await opening.WaitAsync(TimeSpan.Zero);
        return fake;
    }

    /// <summary>The simulated time now.</summary>
    public DateTimeOffset Now => _clock.GetUtcNow();

    /// <summary>Sets the clock to <paramref name="at"/>, prints one round of <paramref name="rows"/> and waits until
    /// the sampler has published it.</summary>
    public async Task RoundAsync(DateTimeOffset at, IReadOnlyList<string> rows)
    {
        _clock.SetUtcNow(at);
        var bytes = System.Text.Encoding.ASCII.GetBytes(string.Concat(rows.Select(r => r + "\n")));
        await _rounds!.WriteAsync(bytes);
        await _rounds.FlushAsync();
        Assert.True(await _published.WaitAsync(SamplerWait.Deadline), "the sampler did not publish the round");
    }

    public async ValueTask DisposeAsync()
    {
        await _sampler.DisposeAsync();
        if (_rounds is not null)
        {
            try
            {
                await _rounds.DisposeAsync();
            }
            catch (IOException)
            {
                // The reader (killed with the sampler) is gone: the broken pipe is expected.
            }
        }

        _published.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}

using Portal.Core.Gpus;

namespace Portal.Core.Tests.Gpus;

internal static class SamplerWait
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>Completes with the first published (or current) snapshot that satisfies <paramref name="condition"/>;
    /// fails the test when none comes within the deadline.</summary>
    public static async Task<GpuSnapshot> UntilAsync(NvidiaSmiSampler sampler, Func<GpuSnapshot, bool> condition)
    {
        var seen = new TaskCompletionSource<GpuSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnPublished(object? sender, GpuSnapshot snapshot)
        {
            if (condition(snapshot))
            {
                seen.TrySetResult(snapshot);
            }
        }

        sampler.SnapshotPublished += OnPublished;
        try
        {
            var current = sampler.Current;
            if (condition(current))
            {
                return current;
            }

            return await seen.Task.WaitAsync(Deadline);
        }
        finally
        {
            sampler.SnapshotPublished -= OnPublished;
        }
    }

    public static NvidiaSmiSamplerOptions Options(string searchPath) => new()
    {
        SearchPath = searchPath,
        Interval = TimeSpan.FromMilliseconds(50),
        RestartBackoff = new ExponentialBackoff(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(80)),
        ProcRoot = Path.Combine(Path.GetTempPath(), "no-such-proc-" + Guid.NewGuid().ToString("N")),
    };
}

namespace Portal.Jobs;

/// <summary>
/// One lane of work per owner: every launcher step for an owner's jobs (a reconciliation, the walltime stops and starts
/// of a pass, a cancel) runs in that owner's lane, one at a time, while different owners' lanes run at once, at most
/// <c>concurrency</c> together. Every job has one owner, so no two steps ever act on the same job at once; and an
/// owner whose podman is slow (up to the launcher's deadline on each call) holds only their own lane, never the
/// runner's loop or another owner's starts, stops and walltime enforcement.
/// </summary>
internal sealed class OwnerLanes(int concurrency) : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots = new(concurrency, concurrency);

    /// <summary>Starts <paramref name="work"/> in the owner's lane, unless the owner's previous work is still running:
    /// then nothing starts and the answer is false (the caller tries again at its next round).</summary>
    /// <param name="owner">The Linux account whose jobs the work acts on.</param>
    /// <param name="work">The work; it handles its own failures (a fault is kept on the task, never thrown here).</param>
    /// <param name="cancellationToken">Stops waiting for a free slot.</param>
    public bool TryStart(string owner, Func<Task> work, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_running.TryGetValue(owner, out var previous) && !previous.IsCompleted)
            {
                return false;
            }

            // Task.Run: the work's synchronous start must not run under the lock.
            _running[owner] = Task.Run(() => RunAsync(work, cancellationToken), CancellationToken.None);
            return true;
        }
    }

    /// <summary>True while work of the owner runs.</summary>
    public bool IsBusy(string owner)
    {
        lock (_gate)
        {
            return _running.TryGetValue(owner, out var task) && !task.IsCompleted;
        }
    }

    /// <summary>Completes when every lane's work started so far has ended (faults and cancellations included).</summary>
    public async Task IdleAsync()
    {
        Task[] running;
        lock (_gate)
        {
            running = [.. _running.Values];
        }

        try
        {
            await Task.WhenAll(running);
        }
        catch (Exception)
        {
            // Each lane's work logs its own failures; waiting is all that is asked here.
        }
    }

    public void Dispose() => _slots.Dispose();

    private async Task RunAsync(Func<Task> work, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            await work();
        }
        finally
        {
            _slots.Release();
        }
    }
}

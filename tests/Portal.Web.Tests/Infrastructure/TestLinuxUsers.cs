using System.Diagnostics;
using Portal.Tests.Cleanup;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>
/// Real Linux accounts for binding tests (CI runs as root). <see cref="HoldAsync"/> creates an account when it is
/// missing and hands out a lease; an account this process created is removed, with everything of it, when the last
/// lease on it ends. Test classes that run at the same time may share a name: the account stays while any holds it.
/// </summary>
public static class TestLinuxUsers
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    // Accounts this process created, with how many leases hold each. One that existed before is never removed here.
    private static readonly Dictionary<string, int> Created = new(StringComparer.Ordinal);

    public static async Task<IAsyncDisposable> HoldAsync(string name)
    {
        await Gate.WaitAsync();
        try
        {
            if (Created.TryGetValue(name, out var holders))
            {
                Created[name] = holders + 1;
                return new Lease(name);
            }

            if (await RunAsync("getent", "passwd", name) == 0)
            {
                return NotOurs.Instance;
            }

            if (!Environment.IsPrivilegedProcess)
            {
                throw new InvalidOperationException(
                    $"The test needs the Linux account '{name}'; run the tests as root (tests/run.sh does in CI) or create it with useradd.");
            }

            int exit = await RunAsync("useradd", "--create-home", "--shell", "/bin/sh", name);
            if (exit != 0)
            {
                throw new InvalidOperationException($"useradd {name} failed with exit code {exit}.");
            }

            Created[name] = 1;
            return new Lease(name);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task ReleaseAsync(string name)
    {
        await Gate.WaitAsync();
        try
        {
            var holders = Created[name] - 1;
            if (holders > 0)
            {
                Created[name] = holders;
                return;
            }

            Created.Remove(name);
            await ThrowawayAccounts.RemoveAsync(name);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<int> RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info)!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    private sealed class Lease(string name) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                await ReleaseAsync(name);
            }
        }
    }

    private sealed class NotOurs : IAsyncDisposable
    {
        public static NotOurs Instance { get; } = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

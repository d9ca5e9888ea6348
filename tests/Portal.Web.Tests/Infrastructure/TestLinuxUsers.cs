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

    // Never below what this process handed out before (under Gate), so no uid is used twice in one test run.
    private static long NextUid = 1000;

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

            // useradd gives the next uid after the highest: one freed by an account a test removed would come back, and
            // the portal account bound to the removed one (kept in its fixture's database) would hold it already.
            NextUid = Math.Max(NextUid, HighestUid() + 1);
            int exit = await RunAsync("useradd", "--create-home", "--shell", "/bin/sh", "--uid",
                NextUid.ToString(System.Globalization.CultureInfo.InvariantCulture), name);
            NextUid++;
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

    /// <summary>The highest uid of a regular account (below nobody's 65534) in the account database.</summary>
    private static long HighestUid() =>
        File.ReadLines("/etc/passwd")
            .Select(line => line.Split(':'))
            .Select(fields => fields.Length > 2 && long.TryParse(fields[2], System.Globalization.CultureInfo.InvariantCulture, out long uid) ? uid : 0)
            .Where(uid => uid < 65534)
            .DefaultIfEmpty(999)
            .Max();

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

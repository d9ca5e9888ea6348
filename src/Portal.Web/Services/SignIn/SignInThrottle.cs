using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Portal.Web.Services.SignIn;

/// <summary>
/// Counts failed sign-ins per (account, client address) and per client address, in memory. A pair that fails too often
/// is locked, not the account: someone guessing from one address can neither go on nor lock the real owner out from
/// theirs (lockout as denial of service). An address that fails too often, over any accounts, waits too, which bounds
/// the launcher processes and password hashes anyone can make the box spend.
/// </summary>
/// <remarks>The counts start empty at every start of the portal; PAM's own pam_faillock can keep lasting ones.</remarks>
public sealed class SignInThrottle(IOptions<PasswordSignInOptions> options, TimeProvider time)
{
    /// <summary>Above this many tracked entries, expired ones are swept on the next failure.</summary>
    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<string, Counter> _pairs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Counter> _addresses = new(StringComparer.Ordinal);

    /// <summary>How long <paramref name="address"/> must wait before trying <paramref name="account"/>, or null.</summary>
    public TimeSpan? RetryAfter(string address, string account)
    {
        DateTimeOffset now = time.GetUtcNow();
        DateTimeOffset until = new[] { Find(_pairs, Pair(address, account)), Find(_addresses, address) }
            .Select(c => c?.LockedUntil(now) ?? now)
            .Max();
        return until > now ? until - now : null;
    }

    public void RecordFailure(string address, string account)
    {
        PasswordSignInOptions o = options.Value;
        DateTimeOffset now = time.GetUtcNow();
        _pairs.GetOrAdd(Pair(address, account), _ => new Counter()).Fail(now, o.FailureWindow, o.MaxFailuresPerAccountAndAddress, o.LockoutTime);
        _addresses.GetOrAdd(address, _ => new Counter()).Fail(now, o.FailureWindow, o.MaxFailuresPerAddress, o.LockoutTime);
        if (_pairs.Count + _addresses.Count > SweepAbove)
        {
            Sweep(now);
        }
    }

    /// <summary>A right password from this address for this account: its pair starts over (the address's count stays).</summary>
    public void RecordSuccess(string address, string account) => _pairs.TryRemove(Pair(address, account), out _);

    private void Sweep(DateTimeOffset now)
    {
        foreach (var map in new[] { _pairs, _addresses })
        {
            foreach ((string key, Counter counter) in map)
            {
                if (counter.Expired(now, options.Value.FailureWindow))
                {
                    map.TryRemove(key, out _);
                }
            }
        }
    }

    private static Counter? Find(ConcurrentDictionary<string, Counter> map, string key) => map.GetValueOrDefault(key);

    // Names are compared as Identity normalizes them, so "Alice" and "alice" share one count.
    private static string Pair(string address, string account) => address + "\n" + account.ToUpperInvariant();

    private sealed class Counter
    {
        private readonly Lock _gate = new();
        private int _failures;
        private DateTimeOffset _windowStart;
        private DateTimeOffset _lockedUntil;

        public void Fail(DateTimeOffset now, TimeSpan window, int limit, TimeSpan lockout)
        {
            lock (_gate)
            {
                if (now - _windowStart > window)
                {
                    _windowStart = now;
                    _failures = 0;
                }

                if (++_failures >= limit)
                {
                    _lockedUntil = now + lockout;
                    _failures = 0;
                    _windowStart = now;
                }
            }
        }

        public DateTimeOffset LockedUntil(DateTimeOffset now)
        {
            lock (_gate)
            {
                return _lockedUntil > now ? _lockedUntil : now;
            }
        }

        public bool Expired(DateTimeOffset now, TimeSpan window)
        {
            lock (_gate)
            {
                return _lockedUntil <= now && now - _windowStart > window;
            }
        }
    }
}

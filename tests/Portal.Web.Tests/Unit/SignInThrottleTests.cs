using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Portal.Web.Services.SignIn;

namespace Portal.Web.Tests.Unit;

public sealed class SignInThrottleTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
    private readonly SignInThrottle _throttle;

    public SignInThrottleTests() =>
        _throttle = new SignInThrottle(Options.Create(new PasswordSignInOptions { MaxFailuresPerAccountAndAddress = 3, MaxFailuresPerAddress = 5 }), _time);

    [Fact]
    public void Failures_lock_the_pair_for_the_lockout_time_and_not_the_account_from_elsewhere()
    {
        Fail("10.0.0.1", "alice", 3);

        Assert.Equal(TimeSpan.FromMinutes(15), _throttle.RetryAfter("10.0.0.1", "alice"));
        Assert.Equal(TimeSpan.FromMinutes(15), _throttle.RetryAfter("10.0.0.1", "ALICE"));
        Assert.Null(_throttle.RetryAfter("10.0.0.2", "alice"));
        _time.Advance(TimeSpan.FromMinutes(15));
        Assert.Null(_throttle.RetryAfter("10.0.0.1", "alice"));
    }

    [Fact]
    public void Failures_over_many_accounts_from_one_address_stop_that_address()
    {
        foreach (string account in new[] { "a", "b", "c", "d", "e" })
        {
            Fail("10.0.0.3", account, 1);
        }

        Assert.NotNull(_throttle.RetryAfter("10.0.0.3", "someone-else"));
        Assert.Null(_throttle.RetryAfter("10.0.0.4", "someone-else"));
    }

    [Fact]
    public void Failures_older_than_the_window_do_not_count()
    {
        Fail("10.0.0.5", "bob", 2);
        _time.Advance(TimeSpan.FromMinutes(16));
        Fail("10.0.0.5", "bob", 2);

        Assert.Null(_throttle.RetryAfter("10.0.0.5", "bob"));
    }

    [Fact]
    public void A_right_password_starts_the_pair_over()
    {
        Fail("10.0.0.6", "carol", 2);
        _throttle.RecordSuccess("10.0.0.6", "carol");
        Fail("10.0.0.6", "carol", 2);

        Assert.Null(_throttle.RetryAfter("10.0.0.6", "carol"));
    }

    private void Fail(string address, string account, int times)
    {
        for (int i = 0; i < times; i++)
        {
            _throttle.RecordFailure(address, account);
        }
    }
}

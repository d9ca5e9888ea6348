using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// The authenticate verb against the real pam_unix, with passwords set by chpasswd on the throwaway accounts (and
/// locked again afterwards, as useradd left them).
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class PasswordCheckTests(LauncherFixture f) : IAsyncLifetime
{
    private const string AlicePassword = "correct horse ptest 7";
    private const string CarolPassword = "carol's ptest secret 9";

    public async Task InitializeAsync()
    {
        await SetPasswordAsync(f.Alice.Name, AlicePassword);
        await SetPasswordAsync(f.Carol.Name, CarolPassword);
    }

    public async Task DisposeAsync()
    {
        foreach (string user in new[] { f.Alice.Name, f.Carol.Name })
        {
            await Shell.CheckedAsync("/usr/sbin/usermod", "-p", "!", user);
            await Shell.CheckedAsync("/usr/bin/chage", "-d", "-1", user);
        }
    }

    [Fact]
    public async Task TheRightPassword_IsAccepted_WithTheAccount()
    {
        LauncherCall call = await AuthenticateAsync(f.Alice.Name, AlicePassword);

        Assert.True(call.ExitCode == 0, call.ToString());
        Assert.Equal((f.Alice.Name, (int)f.Alice.Uid, f.Alice.Home), (call.Response!.Authenticated!.User, call.Response.Authenticated.Uid, call.Response.Authenticated.Home));
        Assert.Contains(LauncherRunner.AuditRecords(call), r => r.GetProperty("decision").GetString() == "done");
    }

    [Fact]
    public async Task AWrongPassword_IsRefused_AndAudited_WithoutThePassword()
    {
        LauncherCall call = await AuthenticateAsync(f.Alice.Name, "wrong ptest guess 1");

        Assert.Equal(2, call.ExitCode);
        Assert.Equal("Wrong user name or password.", call.Response!.Error);
        Assert.Contains(LauncherRunner.AuditRecords(call), r => r.GetProperty("decision").GetString() == "refused"
            && r.GetProperty("detail").GetString()!.Contains("pam_authenticate", StringComparison.Ordinal));
        string audit = File.ReadAllText(LauncherFixture.AuditLogPath);
        Assert.DoesNotContain("wrong ptest guess", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(AlicePassword, audit, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ptest-nobody-here")]
    [InlineData("root")]
    public async Task AnUnknownOrSystemAccount_GetsTheSameAnswer_AndPamIsNeverAsked(string user)
    {
        LauncherCall call = await AuthenticateAsync(user, "any ptest password");

        Assert.Equal(2, call.ExitCode);
        Assert.Equal("Wrong user name or password.", call.Response!.Error);
        Assert.Contains(LauncherRunner.AuditRecords(call), r => r.GetProperty("detail").GetString()!.StartsWith("password not checked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAccountOutsideTheGroup_IsRefusedEvenWithItsRightPassword()
    {
        LauncherCall call = await AuthenticateAsync(f.Carol.Name, CarolPassword);

        Assert.Equal(2, call.ExitCode);
        Assert.Equal("Wrong user name or password.", call.Response!.Error);
        Assert.Contains(LauncherRunner.AuditRecords(call), r => r.GetProperty("detail").GetString()!.Contains("not a member of the group", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnExpiredPassword_IsRefused_SayingSo()
    {
        await Shell.CheckedAsync("/usr/bin/chage", "-d", "0", f.Alice.Name);

        LauncherCall call = await AuthenticateAsync(f.Alice.Name, AlicePassword);

        Assert.Equal(2, call.ExitCode);
        Assert.Contains("has expired", call.Response!.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownUser_TakesAsLongAsAWrongPassword()
    {
        // Interleaved, so that a busy machine slows both kinds alike; medians, so one slow run decides nothing.
        List<double> unknown = [], wrong = [];
        for (int i = 0; i < 5; i++)
        {
            unknown.Add(await TimeAsync("ptest-nobody-here", "a ptest guess"));
            wrong.Add(await TimeAsync(f.Alice.Name, "a ptest guess"));
        }

        double unknownMedian = Median(unknown), wrongMedian = Median(wrong);
        Assert.True(Math.Abs(unknownMedian - wrongMedian) < 0.25,
            $"unknown user {unknownMedian:0.000} s, wrong password {wrongMedian:0.000} s: [{string.Join(", ", unknown.Select(s => s.ToString("0.000", CultureInfo.InvariantCulture)))}] vs [{string.Join(", ", wrong.Select(s => s.ToString("0.000", CultureInfo.InvariantCulture)))}]");
        Assert.True(unknownMedian >= 0.95 && wrongMedian >= 0.95, $"refusals came before the floor: {unknownMedian:0.000} s, {wrongMedian:0.000} s");
    }

    [Fact]
    public async Task AnEmptyPassword_IsRefusedBeforePam()
    {
        LauncherCall call = await LauncherRunner.RunAsync(f, Json(f.Alice.Name, ""));

        Assert.Equal(2, call.ExitCode);
        Assert.Contains("1 to 1024 bytes", call.Response!.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAuthenticateSection_OnAnotherVerb_IsRefused()
    {
        string request = JsonSerializer.Serialize(new { version = 1, verb = "list", user = f.Alice.Name, authenticate = new { password = AlicePassword } });

        LauncherCall call = await LauncherRunner.RunAsync(f, request);

        Assert.Equal(2, call.ExitCode);
        Assert.Contains("does not take a 'authenticate' section", call.Response!.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InDevMode_ThePasswordCheck_IsRefusedSayingWhy()
    {
        string policy = await DevModeAndPolicyTests.WriteDevPolicyAsync(f);

        LauncherCall call = await LauncherRunner.RunAsync(f, Json(f.Alice.Name, AlicePassword), DevModeAndPolicyTests.DevEnv(policy), asUser: f.Alice);

        Assert.Equal(2, call.ExitCode);
        Assert.Contains("cannot read /etc/shadow", call.Response!.Error, StringComparison.Ordinal);
    }

    private Task<LauncherCall> AuthenticateAsync(string user, string password) =>
        LauncherRunner.RunAsync(f, Json(user, password));

    private static string Json(string user, string password) =>
        JsonSerializer.Serialize(new { version = 1, verb = "authenticate", user, authenticate = new { password, remoteAddress = "192.0.2.7" } });

    private async Task<double> TimeAsync(string user, string password)
    {
        long started = Stopwatch.GetTimestamp();
        LauncherCall call = await AuthenticateAsync(user, password);
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Assert.Equal(2, call.ExitCode);
        return seconds;
    }

    private static double Median(List<double> values)
    {
        List<double> sorted = [.. values.Order()];
        return sorted[sorted.Count / 2];
    }

    private static async Task SetPasswordAsync(string user, string password)
    {
        ShellResult r = await Shell.RunAsync("/usr/sbin/chpasswd", [], $"{user}:{password}\n");
        Assert.True(r.ExitCode == 0, r.ToString());
    }
}

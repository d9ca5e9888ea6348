using System.Globalization;
using System.Text.Json;
using Portal.Api.Contracts;
using Portal.Cli;
using Portal.Web.Tests.Api;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.Cli;

/// <summary>
/// <c>portal book</c>, <c>portal bookings</c> and <c>portal booking rm</c> as processes against a running portal with two
/// GPUs, as two users: a booking made from the terminal is listed for everyone, a clash exits 1 naming the booking it
/// clashes with, nobody deletes someone else's booking, and a wrong command line exits 2 before asking the portal.
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class BookingCliTests(JobHostFixture fixture) : IAsyncLifetime
{
    private readonly string _aliceConfig = Directory.CreateTempSubdirectory("portal-cli-test-").FullName;
    private readonly string _bobConfig = Directory.CreateTempSubdirectory("portal-cli-test-").FullName;
    private JobTestContext _context = null!;
    private ApiJobPortal _portal = null!;

    private static string Tomorrow(int hour) =>
        DateTime.UtcNow.Date.AddDays(1).AddHours(hour).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);

    public async Task InitializeAsync()
    {
        _context = await JobTestContext.CreateAsync(fixture, gpus: 2);
        _portal = new ApiJobPortal(_context.Db.ConnectionString, fixture.LauncherPath).Start();
        foreach (var (user, config) in new[] { (fixture.Alice.Name, _aliceConfig), (fixture.Bob.Name, _bobConfig) })
        {
            var token = await _portal.TokenAsync(_context.Accounts[user], ApiScopes.JobsRead, ApiScopes.JobsWrite);
            var login = await CliProcess.RunAsync(config, token, "login", "--url", _portal.BaseAddress.ToString().TrimEnd('/'));
            Assert.True(login.ExitCode == 0, login.ToString());
        }
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _context.DisposeAsync();
        Directory.Delete(_aliceConfig, recursive: true);
        Directory.Delete(_bobConfig, recursive: true);
    }

    [Fact]
    public async Task A_booking_made_in_the_terminal_is_listed_a_clash_names_it_and_only_its_holder_deletes_it()
    {
        var gpu = JobHostFixture.GpuUuids[0];
        var booked = await CliProcess.RunAsync(_aliceConfig, null,
            "book", "--gpu", gpu, "--from", Tomorrow(9), "--to", Tomorrow(18), "--note", "paper deadline", "--json");
        Assert.True(booked.ExitCode == 0, booked.ToString());
        var booking = JsonSerializer.Deserialize(booked.Stdout, ApiJsonContext.Default.BookingResponse)!;
        Assert.Equal((fixture.Alice.Name, gpu, "paper deadline"), (booking.Holder, booking.GpuUuids.Single(), booking.Note));

        var table = await CliProcess.RunAsync(_bobConfig, null, "bookings");
        var clash = await CliProcess.RunAsync(_bobConfig, null, "book", "--gpu", gpu, "--from", Tomorrow(17), "--to", Tomorrow(20));
        var other = await CliProcess.RunAsync(_bobConfig, null, "book", "--gpus", "1", "--from", Tomorrow(17), "--to", Tomorrow(20));
        var notHis = await CliProcess.RunAsync(_bobConfig, null, "booking", "rm", Id(booking.Id));

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.StartsWith("ID", table.Stdout, StringComparison.Ordinal);
        Assert.Contains(fixture.Alice.Name, table.Stdout, StringComparison.Ordinal);
        Assert.Contains("paper deadline", table.Stdout, StringComparison.Ordinal);
        Assert.True(clash.ExitCode == ExitCodes.Refused, clash.ToString());
        Assert.Contains($"booking {Id(booking.Id)} ({fixture.Alice.Name},", clash.Stderr, StringComparison.Ordinal);
        // Asked for any one GPU, bob gets the other one, free over his whole window.
        Assert.True(other.ExitCode == 0, other.ToString());
        Assert.Contains(JobHostFixture.GpuUuids[1], other.Stdout, StringComparison.Ordinal);
        Assert.True(notHis.ExitCode == ExitCodes.NotFound, notHis.ToString());

        var removed = await CliProcess.RunAsync(_aliceConfig, null, "booking", "rm", Id(booking.Id));
        var after = await CliProcess.RunAsync(_aliceConfig, null, "bookings", "--json");

        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Equal($"Deleted booking {Id(booking.Id)}.\n", removed.Stderr);
        var left = JsonSerializer.Deserialize(after.Stdout, ApiJsonContext.Default.BookingListResponse)!;
        Assert.DoesNotContain(left.Items, b => b.Id == booking.Id);
        Assert.Single(left.Items, b => b.Holder == fixture.Bob.Name);
    }

    [Fact]
    public async Task A_wrong_command_line_exits_2_and_books_nothing()
    {
        var both = await CliProcess.RunAsync(_aliceConfig, null,
            "book", "--gpus", "1", "--gpu", JobHostFixture.GpuUuids[0], "--from", Tomorrow(9), "--to", Tomorrow(18));
        var badTime = await CliProcess.RunAsync(_aliceConfig, null, "book", "--gpus", "1", "--from", "friday", "--to", Tomorrow(18));
        var list = await CliProcess.RunAsync(_aliceConfig, null, "bookings", "--json");

        Assert.True(both.ExitCode == ExitCodes.Usage, both.ToString());
        Assert.Contains("give --gpus N or --gpu UUID", both.Stderr, StringComparison.Ordinal);
        Assert.True(badTime.ExitCode == ExitCodes.Usage, badTime.ToString());
        Assert.Contains("ISO 8601", badTime.Stderr, StringComparison.Ordinal);
        Assert.Empty(JsonSerializer.Deserialize(list.Stdout, ApiJsonContext.Default.BookingListResponse)!.Items);
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}

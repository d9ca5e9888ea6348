using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Data.Bookings;
using Portal.Data.Jobs;
using Portal.Web.Components.Bookings;
using Portal.Web.Services.Audit;
using Portal.Web.Services.Bookings;
using Portal.Web.Tests.Data;

namespace Portal.Web.Tests.Components.Bookings;

/// <summary>The bookings page's board over a real PostgreSQL: the week grid shows each booking as a block on its GPU
/// and day, the form books through the rules (a clash names the booking), and a holder deletes their own.</summary>
public sealed class BookingBoardTests : BunitContext, IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await new GpuStore(_database, TimeProvider.System).UpsertGpusAsync([TestDatabase.Gpu(0), TestDatabase.Gpu(1)]);
        Services.AddSingleton<IDbContextFactory<PortalDbContext>>(_database);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IHttpContextAccessor, HttpContextAccessor>();
        Services.AddSingleton<AuditLog>();
        Services.AddSingleton<BookingStore>();
        Services.AddSingleton<BookingEditor>();
        Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new Portal.Jobs.JobBackendOptions()));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _database.DisposeAsync();
    }

    private async Task<Guid> SignInAsync(string name, long uid)
    {
        var id = await _database.AddUserAsync(name, uid);
        var authorization = AddAuthorization();
        authorization.SetAuthorized(name);
        authorization.SetClaims(new Claim(ClaimTypes.NameIdentifier, id.ToString()));
        RenderInteractively();
        return id;
    }

    // As over a circuit: the form and the week buttons are disabled in a prerender. Set once the services are added.
    private void RenderInteractively() => SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));

    private static DateTime Tomorrow => DateTime.UtcNow.Date.AddDays(1);

    [Fact]
    public async Task A_booking_shows_as_a_block_on_its_gpu_and_day_and_a_clashing_one_is_refused_naming_it()
    {
        var alice = await _database.AddUserAsync("alice", 6501);
        var store = new BookingStore(_database, TimeProvider.System);
        var booked = (await store.CreateAsync(new NewBooking(alice, 0, [TestDatabase.Gpu(0).Uuid], Tomorrow.AddHours(9), Tomorrow.AddHours(18), "deadline"),
            "alice", exempt: false)).Booking!;
        await SignInAsync("bob", 6502);

        var board = Render<BookingBoard>();
        if (Tomorrow.DayOfWeek == DayOfWeek.Monday)
        {
            board.Find("#week-next").Click();
        }

        var block = board.WaitForElement($"li.booking-block[data-booking-id='{booked.Id}']");
        Assert.Contains("alice", block.TextContent, StringComparison.Ordinal);
        Assert.Contains("09:00–18:00", block.TextContent, StringComparison.Ordinal);
        Assert.Equal("left: 37.5%; width: 37.5%", block.GetAttribute("style"));
        Assert.DoesNotContain("mine", block.ClassName, StringComparison.Ordinal);

        board.Find("#booking-gpu").Change(TestDatabase.Gpu(0).Uuid);
        board.Find("#booking-start").Change(Tomorrow.AddHours(17).ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture));
        board.Find("#booking-end").Change(Tomorrow.AddHours(20).ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await board.Find("#booking-form").SubmitAsync();

        board.WaitForAssertion(() => Assert.Contains($"booking {booked.Id} (alice,", board.Find("#booking-gpus-error").TextContent, StringComparison.Ordinal));
        Assert.Equal("true", board.Find("#booking-gpus").GetAttribute("aria-invalid"));
    }

    [Fact]
    public async Task A_user_books_on_the_form_sees_their_block_and_deletes_it()
    {
        var bob = await SignInAsync("bob", 6512);

        var board = Render<BookingBoard>();
        // The grid appears once the GPUs and bookings are read: the form's handlers are final from then on.
        board.WaitForElement("#booking-calendar");
        board.Find("#booking-gpu").Change(TestDatabase.Gpu(1).Uuid);
        await board.Find("#booking-form").SubmitAsync();

        board.WaitForAssertion(() => Assert.StartsWith("Booked:", board.Find("#booking-message").TextContent, StringComparison.Ordinal));
        var booking = Assert.Single(await new BookingStore(_database, TimeProvider.System).ListAsync(DateTimeOffset.UtcNow, DateTimeOffset.MaxValue));
        Assert.Equal((bob, TestDatabase.Gpu(1).Uuid), (booking.HolderId, booking.GpuUuids.Single()));
        Assert.Contains("mine", board.Find($"li.booking-block[data-booking-id='{booking.Id}']").ClassName, StringComparison.Ordinal);

        board.Find($"#my-bookings li[data-booking-id='{booking.Id}'] button").Click();

        board.WaitForAssertion(() => Assert.Empty(board.FindAll("li.booking-block")));
        await using var db = _database.CreateDbContext();
        Assert.Equal(
            [AuditActions.BookingCreated, AuditActions.BookingDeleted],
            (await db.AuditEvents.AsNoTracking().Where(e => e.ActorId == bob).Select(e => e.Action).ToListAsync()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_dashboards_calendar_marks_the_users_own_booking_lists_the_week_and_links_to_the_form()
    {
        var alice = await _database.AddUserAsync("alice", 6521);
        var booked = (await new BookingStore(_database, TimeProvider.System).CreateAsync(
            new NewBooking(alice, 0, [TestDatabase.Gpu(1).Uuid], Tomorrow.AddHours(6), Tomorrow.AddHours(12), "demo"), "alice", exempt: false)).Booking!;

        RenderInteractively();
        var calendar = Render<BookingCalendar>(parameters => parameters.Add(c => c.UserId, alice).Add(c => c.OnDashboard, true));
        calendar.WaitForElement("#booking-calendar");
        if (Tomorrow.DayOfWeek == DayOfWeek.Monday)
        {
            calendar.Find("#week-next").Click();
        }

        var block = calendar.WaitForElement($"li.booking-block[data-booking-id='{booked.Id}']");
        Assert.Contains("mine", block.ClassName, StringComparison.Ordinal);
        Assert.Equal("left: 25%; width: 25%", block.GetAttribute("style"));
        Assert.Contains($"Booking {booked.Id}: 1 GPU ({TestDatabase.Gpu(1).Uuid}) for alice", calendar.Find("#week-bookings").TextContent, StringComparison.Ordinal);
        Assert.Contains("(demo)", calendar.Find("#week-bookings").TextContent, StringComparison.Ordinal);
        Assert.Equal("/bookings", calendar.Find("#book-gpus").GetAttribute("href"));
    }

    [Fact]
    public async Task With_jobs_going_to_Slurm_no_booking_is_made_and_the_refusal_says_what_to_ask_for_instead()
    {
        var alice = await _database.AddUserAsync("alice", 6531);
        var store = new BookingStore(_database, TimeProvider.System);
        var editor = new BookingEditor(store, Services.GetRequiredService<AuditLog>(),
            Microsoft.Extensions.Options.Options.Create(new Portal.Jobs.JobBackendOptions { Backend = Portal.Jobs.JobBackendOptions.Slurm }));

        var outcome = await editor.CreateAsync(new Portal.Web.Services.Accounts.CurrentUser(alice, "alice", IsAdmin: true, "alice"),
            new BookingAsk(null, 1, [], Tomorrow.AddHours(9), Tomorrow.AddHours(18), null), "through the API", CancellationToken.None);

        Assert.False(editor.TakesBookings);
        Assert.Null(outcome.Booking);
        Assert.False(outcome.IsClash);
        Assert.Contains("scontrol create reservation", Assert.Single(outcome.Refusals).Message, StringComparison.Ordinal);
        Assert.Empty(await store.ListAsync(DateTimeOffset.UtcNow, DateTimeOffset.MaxValue));
    }
}

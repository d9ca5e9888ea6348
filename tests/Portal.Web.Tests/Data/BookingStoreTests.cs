using Microsoft.EntityFrameworkCore;
using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Core.Scheduling;
using Portal.Data.Bookings;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using static Portal.Web.Tests.Data.JobStoreFixtures;

namespace Portal.Web.Tests.Data;

/// <summary>The booking store on a real PostgreSQL: clashes refused naming the booking, users held to their quota,
/// administrators booking for anyone, and the scheduler's snapshot and the job page seeing the bookings.</summary>
public sealed class BookingStoreTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Friday9 = new(2026, 12, 4, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Friday18 = new(2026, 12, 4, 18, 0, 0, TimeSpan.Zero);

    private static string Uuid(int index) => TestDatabase.Gpu(index).Uuid;

    private static async Task<(TestDatabase Database, ManualClock Clock, BookingStore Store)> WorldAsync(int gpus = 2)
    {
        var database = await TestDatabase.CreateAsync();
        var clock = new ManualClock(Noon);
        await new GpuStore(database, clock).UpsertGpusAsync(Enumerable.Range(0, gpus).Select(TestDatabase.Gpu));
        return (database, clock, new BookingStore(database, clock));
    }

    [Fact]
    public async Task A_booking_that_takes_a_booked_gpu_at_the_same_time_is_refused_naming_the_clashing_booking()
    {
        var (database, _, store) = await WorldAsync();
        await using var _db = database;
        var alice = await database.AddUserAsync("alice", 6401);
        var bob = await database.AddUserAsync("bob", 6402);
        var alices = await store.CreateAsync(new NewBooking(alice, 0, [Uuid(0)], Friday9, Friday18, "paper deadline"), "alice", exempt: false);

        var clash = await store.CreateAsync(new NewBooking(bob, 0, [Uuid(0)], Friday9.AddHours(8), Friday18.AddHours(2), null), "bob", exempt: false);
        var otherGpu = await store.CreateAsync(new NewBooking(bob, 0, [Uuid(1)], Friday9.AddHours(8), Friday18.AddHours(2), null), "bob", exempt: false);
        var afterwards = await store.CreateAsync(new NewBooking(bob, 0, [Uuid(0)], Friday18, Friday18.AddHours(2), null), "bob", exempt: false);

        var booked = Assert.IsType<BookingView>(alices.Booking);
        Assert.Null(clash.Booking);
        var refusal = Assert.Single(clash.Refusals);
        Assert.Equal(booked.Id, refusal.Clash!.Id);
        Assert.Contains($"booking {booked.Id} (alice, 2026-12-04 09:00-18:00 UTC)", refusal.Message, StringComparison.Ordinal);
        Assert.Contains(Uuid(0), refusal.Message, StringComparison.Ordinal);
        Assert.NotNull(otherGpu.Booking);
        Assert.NotNull(afterwards.Booking);
        Assert.Equal(3, (await store.ListAsync(Noon, DateTimeOffset.MaxValue)).Count);
    }

    [Fact]
    public async Task A_count_is_given_the_gpus_free_of_other_bookings_and_refused_when_too_few_are()
    {
        var (database, _, store) = await WorldAsync(gpus: 3);
        await using var _db = database;
        var alice = await database.AddUserAsync("alice", 6411);
        var bob = await database.AddUserAsync("bob", 6412);
        await store.CreateAsync(new NewBooking(alice, 0, [Uuid(0)], Friday9, Friday18, null), "alice", exempt: false);

        var two = await store.CreateAsync(new NewBooking(bob, 2, [], Friday9, Friday18, null), "admin", exempt: true);
        var oneMore = await store.CreateAsync(new NewBooking(alice, 1, [], Friday9.AddHours(1), Friday9.AddHours(2), null), "alice", exempt: false);

        Assert.Equal([Uuid(1), Uuid(2)], two.Booking!.GpuUuids);
        Assert.Null(oneMore.Booking);
        Assert.Contains("Only 0 of 1 GPUs are free of other bookings", Assert.Single(oneMore.Refusals).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_is_held_to_their_quota_and_an_administrator_books_beyond_it_for_them()
    {
        var (database, clock, store) = await WorldAsync(gpus: 4);
        await using var _db = database;
        var carol = await database.AddUserAsync("carol", 6421);
        await new QuotaStore(database, clock).SetUserOverrideAsync(carol, new QuotaPolicy { MaxConcurrentGpus = 2, GpuHoursPerWindow = 10 });

        var tooMany = await store.CreateAsync(new NewBooking(carol, 3, [], Friday9, Friday9.AddHours(1), null), "carol", exempt: false);
        var tooLong = await store.CreateAsync(new NewBooking(carol, 2, [], Friday9, Friday18, null), "carol", exempt: false);
        var inThePast = await store.CreateAsync(new NewBooking(carol, 1, [], Noon.AddHours(-1), Noon.AddHours(1), null), "carol", exempt: false);
        var byAdmin = await store.CreateAsync(new NewBooking(carol, 3, [], Friday9, Friday18, null), "root-admin", exempt: true);

        Assert.Contains(tooMany.Refusals, r => r.Field == "gpus" && r.Message.Contains("your limit is 2", StringComparison.Ordinal));
        Assert.Contains(tooLong.Refusals, r => r.Field == "end" && r.Message.Contains("18 GPU-hours; your limit is 10", StringComparison.Ordinal));
        Assert.Contains(inThePast.Refusals, r => r.Field == "start");
        Assert.Equal(("carol", "root-admin", 3), (byAdmin.Booking!.Holder, byAdmin.Booking.CreatedBy, byAdmin.Booking.GpuUuids.Count));
        Assert.Null(tooMany.Booking ?? tooLong.Booking ?? inThePast.Booking);
    }

    [Fact]
    public async Task A_holder_deletes_only_their_own_booking_and_an_unrestricted_delete_takes_anyones()
    {
        var (database, _, store) = await WorldAsync();
        await using var _db = database;
        var alice = await database.AddUserAsync("alice", 6431);
        var bob = await database.AddUserAsync("bob", 6432);
        var booking = (await store.CreateAsync(new NewBooking(alice, 1, [], Friday9, Friday18, null), "alice", exempt: false)).Booking!;

        var byBob = await store.DeleteAsync(booking.Id, bob);
        var byAdmin = await store.DeleteAsync(booking.Id, null);

        Assert.Null(byBob);
        Assert.Equal(booking.Id, byAdmin!.Id);
        Assert.Empty(await store.ListAsync(Noon, DateTimeOffset.MaxValue));
    }

    [Fact]
    public async Task Concurrent_requests_for_the_same_gpu_and_hours_give_it_to_exactly_one()
    {
        var (database, _, store) = await WorldAsync(gpus: 1);
        await using var _db = database;
        var users = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            users.Add(await database.AddUserAsync($"racer{i}", 6440 + i));
        }

        var results = await Task.WhenAll(users.Select(u => store.CreateAsync(new NewBooking(u, 1, [], Friday9, Friday18, null), "x", exempt: false)));

        Assert.Single(results, r => r.Booking is not null);
        await using var db = database.CreateDbContext();
        Assert.Equal(1, await db.GpuBookings.CountAsync());
    }

    [Fact]
    public async Task The_scheduling_snapshot_carries_open_bookings_by_linux_account_and_the_job_names_the_booking_it_waits_for()
    {
        var (database, clock, store) = await WorldAsync(gpus: 1);
        await using var _db = database;
        var alice = await database.AddUserAsync("alice", 6451);
        var bob = await database.AddUserAsync("bob", 6452);
        var jobs = new JobStore(database, clock);
        await using (var db = database.CreateDbContext())
        {
            // One that has ended: the rules refuse to make one, but yesterday's bookings stay in the table.
            db.GpuBookings.Add(new Portal.Data.Entities.Bookings.GpuBookingRecord(alice, [Uuid(0)], Noon.AddHours(-3), Noon.AddHours(-1), "over", "alice", Noon.AddDays(-1)));
            await db.SaveChangesAsync();
        }

        var booking = (await store.CreateAsync(new NewBooking(alice, 1, [], Noon.AddMinutes(30), Noon.AddHours(6), null), "alice", exempt: false)).Booking!;
        var bobs = await SubmitAsync(jobs, bob, Spec(gpus: 1));

        var state = await jobs.LoadSnapshotAsync();
        var plan = new Scheduler(clock).Plan(state.Snapshot);
        await jobs.SetPendingReasonsAsync(plan.PendingReasons);
        var details = await jobs.GetAsync(bobs, bob, isAdmin: false);

        var seen = Assert.Single(state.Snapshot.Bookings!);
        Assert.Equal(("alice", booking.Id), (seen.Holder, seen.Id));
        Assert.Empty(plan.Starts);
        Assert.Equal(PendingReason.Booked, plan.PendingReasons[bobs]);
        Assert.Equal((booking.Id, "alice", booking.End), (details!.HeldByBooking!.BookingId, details.HeldByBooking.Holder, details.HeldByBooking.End));
        Assert.Equal("booked by alice until 2026-12-03 18:00 UTC", Portal.Web.Services.JobForms.JobText.Booked(details.HeldByBooking));
    }
}

using Portal.Core.Jobs;
using Portal.Data.Bookings;

namespace Portal.Web.Tests.Jobs;

/// <summary>The real job runner (PostgreSQL, the launcher, rootless podman, throwaway users) honours GPU bookings:
/// nobody else's job lands on a booked GPU when its walltime reaches into the booking, and the holder's job goes on the
/// holder's booked GPU first.</summary>
[Collection(JobHostGroup.Name)]
public sealed class JobRunnerBookingTests(JobHostFixture fixture)
{
    private const string UntilDone = "until [ -e /tmp/done ]; do sleep 0.2; done";

    [Fact]
    public async Task Bobs_job_whose_walltime_reaches_into_alices_booking_starts_on_the_free_gpu_and_a_short_one_fits_before_it()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 2);
        var now = DateTimeOffset.UtcNow;
        var bookings = new BookingStore(t.Db, TimeProvider.System);
        // Booked by an administrator (no quota limits) for alice, starting in 30 minutes.
        var booking = await bookings.CreateAsync(new NewBooking(
            t.Accounts[fixture.Alice.Name], 0, [JobHostFixture.GpuUuids[0]], now.AddMinutes(30), now.AddHours(3), null), "admin", exempt: true);
        Assert.NotNull(booking.Booking);
        t.StartPortal();

        var long1 = await t.SubmitAsync(fixture.Bob, JobTestContext.Spec(["sh", "-c", UntilDone], gpus: 1, walltime: TimeSpan.FromHours(1)));
        var running = await t.WaitForStateAsync(long1, JobState.Running);
        var long2 = await t.SubmitAsync(fixture.Bob, JobTestContext.Spec(["true"], gpus: 1, walltime: TimeSpan.FromHours(1)));
        await t.WaitForPendingReasonAsync(long2, PendingReason.Booked);
        var details = await t.Store.GetAsync(long2, t.Accounts[fixture.Bob.Name], isAdmin: false);
        var shortOne = await t.SubmitAsync(fixture.Bob, JobTestContext.Spec(["true"], gpus: 1, walltime: TimeSpan.FromMinutes(5)));
        var ranShort = await t.WaitForStateAsync(shortOne, JobState.Succeeded);

        Assert.Equal(JobHostFixture.GpuUuids[1], running.AssignedGpuUuids.Single());
        Assert.Equal((booking.Booking!.Id, fixture.Alice.Name), (details!.HeldByBooking!.BookingId, details.HeldByBooking.Holder));
        Assert.Equal(JobHostFixture.GpuUuids[0], ranShort.AssignedGpuUuids.Single());
        Assert.Equal(JobState.Queued, (await t.RowAsync(long2)).State);

        var done = await JobHostFixture.PodmanAsync(fixture.Bob, "exec", "portal-job-" + JobRunnerTests.Key(long1), "touch", "/tmp/done");
        Assert.True(done.ExitCode == 0, done.ToString());
        await t.WaitForStateAsync(long1, JobState.Succeeded);
        var afterwards = await t.WaitForStateAsync(long2, JobState.Succeeded);
        Assert.Equal(JobHostFixture.GpuUuids[1], afterwards.AssignedGpuUuids.Single());
        Assert.Empty(await t.HeldGpusAsync());
    }

    [Fact]
    public async Task Alices_job_goes_on_her_booked_gpu_and_bobs_on_the_other()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 2);
        var now = DateTimeOffset.UtcNow;
        var bookings = new BookingStore(t.Db, TimeProvider.System);
        // The higher-indexed GPU: without the booking, the lowest free index would be given first.
        Assert.NotNull((await bookings.CreateAsync(new NewBooking(
            t.Accounts[fixture.Alice.Name], 0, [JobHostFixture.GpuUuids[1]], now.AddMinutes(-1), now.AddHours(2), null), "admin", exempt: true)).Booking);
        t.StartPortal();

        var alices = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["true"], gpus: 1));
        var ranAlice = await t.WaitForStateAsync(alices, JobState.Succeeded);
        var bobs = await t.SubmitAsync(fixture.Bob, JobTestContext.Spec(["true"], gpus: 1));
        var ranBob = await t.WaitForStateAsync(bobs, JobState.Succeeded);

        Assert.Equal(JobHostFixture.GpuUuids[1], ranAlice.AssignedGpuUuids.Single());
        Assert.Equal(JobHostFixture.GpuUuids[0], ranBob.AssignedGpuUuids.Single());
        Assert.Empty(await t.HeldGpusAsync());
    }
}

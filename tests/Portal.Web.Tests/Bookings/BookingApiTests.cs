using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api.Contracts;
using Portal.Core.Gpus;
using Portal.Data.Jobs;
using Portal.Web.Services.Audit;
using Portal.Web.Tests.Api;

namespace Portal.Web.Tests.Bookings;

/// <summary>/api/v1/bookings and /api/v1/admin/bookings: everyone sees every booking, a user books and deletes their
/// own, a clash is a 409 naming the booking, an administrator books for anyone, and both writes are audited.</summary>
public sealed class BookingApiTests(ApiPortalFactory portal) : IClassFixture<ApiPortalFactory>
{
    // Days ahead, on the hour, so the windows are in the future and inside everyone's quota (1 GPU, 2 hours).
    private static DateTimeOffset Tomorrow(int hour) =>
        new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero).AddDays(2).AddHours(hour);

    // Discovery's view replaced whole: GPUs of earlier tests go missing, which leaves this test's GPUs free of their bookings.
    private async Task<string[]> NewGpusAsync(int count)
    {
        var uuids = Enumerable.Range(0, count).Select(_ => $"GPU-{Guid.NewGuid()}").ToArray();
        await portal.Services.GetRequiredService<GpuStore>().UpsertGpusAsync(
            uuids.Select((uuid, i) => new GpuDevice(40 + i, uuid, "Test GPU", 1024, null, $"/dev/nvidia{40 + i}", [])));
        return uuids;
    }

    private async Task<HttpClient> AdminAsync()
    {
        var accounts = await portal.AccountsAsync();
        return portal.ApiClient(await portal.TokenAsync(accounts.Admin, ApiScopes.Admin, ApiScopes.JobsRead, ApiScopes.JobsWrite));
    }

    [Fact]
    public async Task A_user_books_a_gpu_everyone_sees_it_a_clash_names_it_and_only_the_holder_deletes_it()
    {
        var accounts = await portal.AccountsAsync();
        using var alice = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        using var bob = portal.ApiClient(await portal.TokenAsync(accounts.Bob, TestScopes.ReadWrite));
        var gpu = (await NewGpusAsync(1))[0];

        using var created = await alice.PostAsJsonAsync("/api/v1/bookings",
            new CreateBookingRequest { GpuUuids = [gpu], Start = Tomorrow(9), End = Tomorrow(11), Note = "paper deadline" });
        var booking = (await created.Content.ReadFromJsonAsync<BookingResponse>())!;
        var seenByBob = await bob.GetFromJsonAsync<BookingListResponse>("/api/v1/bookings");
        using var clash = await bob.PostAsJsonAsync("/api/v1/bookings", new CreateBookingRequest { GpuUuids = [gpu], Start = Tomorrow(10), End = Tomorrow(12) });
        using var bobDeletes = await bob.DeleteAsync($"/api/v1/bookings/{booking.Id}");
        using var aliceDeletes = await alice.DeleteAsync($"/api/v1/bookings/{booking.Id}");
        var afterwards = await bob.GetFromJsonAsync<BookingListResponse>("/api/v1/bookings");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/v1/bookings/{booking.Id}", created.Headers.Location!.OriginalString);
        Assert.Equal((accounts.Alice.UserName, gpu, "paper deadline"), (booking.Holder, booking.GpuUuids.Single(), booking.Note));
        Assert.Contains(seenByBob!.Items, b => b.Id == booking.Id && b.Holder == accounts.Alice.UserName && b.GpuUuids.Single() == gpu);
        var problem = await ProblemAssert.IsProblemAsync(clash, HttpStatusCode.Conflict);
        Assert.Contains($"booking {booking.Id} ({accounts.Alice.UserName},", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(bobDeletes, HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NoContent, aliceDeletes.StatusCode);
        Assert.DoesNotContain(afterwards!.Items, b => b.Id == booking.Id);
        var audited = await portal.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.ActorId == accounts.Alice.Id && e.Target == $"booking {booking.Id}").Select(e => e.Action).ToListAsync());
        Assert.Equal([AuditActions.BookingCreated, AuditActions.BookingDeleted], audited.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_administrator_books_for_another_user_beyond_their_quota_and_deletes_it()
    {
        var accounts = await portal.AccountsAsync();
        using var admin = await AdminAsync();
        var gpus = await NewGpusAsync(2);

        using var created = await admin.PostAsJsonAsync("/api/v1/admin/bookings",
            new CreateBookingRequest { User = accounts.Bob.UserName, GpuUuids = gpus, Start = Tomorrow(0), End = Tomorrow(0).AddDays(30) });
        var booking = (await created.Content.ReadFromJsonAsync<BookingResponse>())!;
        using var unknownUser = await admin.PostAsJsonAsync("/api/v1/admin/bookings",
            new CreateBookingRequest { User = "nobody-" + Guid.NewGuid(), Gpus = 1, Start = Tomorrow(0), End = Tomorrow(1) });
        using var deleted = await admin.DeleteAsync($"/api/v1/admin/bookings/{booking.Id}");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal((accounts.Bob.UserName, accounts.Admin.UserName), (booking.Holder, booking.CreatedBy));
        await ProblemAssert.IsProblemAsync(unknownUser, HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task A_user_cannot_book_for_someone_else_nor_reach_the_admin_bookings_nor_exceed_their_quota()
    {
        var accounts = await portal.AccountsAsync();
        using var alice = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        var gpu = (await NewGpusAsync(1))[0];

        using var forBob = await alice.PostAsJsonAsync("/api/v1/bookings",
            new CreateBookingRequest { User = accounts.Bob.UserName, GpuUuids = [gpu], Start = Tomorrow(9), End = Tomorrow(10) });
        using var admin = await alice.PostAsJsonAsync("/api/v1/admin/bookings",
            new CreateBookingRequest { User = accounts.Alice.UserName, GpuUuids = [gpu], Start = Tomorrow(9), End = Tomorrow(10) });
        using var month = await alice.PostAsJsonAsync("/api/v1/bookings",
            new CreateBookingRequest { GpuUuids = [gpu], Start = Tomorrow(0), End = Tomorrow(0).AddDays(30) });
        using var backwards = await alice.PostAsJsonAsync("/api/v1/bookings",
            new CreateBookingRequest { GpuUuids = [gpu], Start = Tomorrow(10), End = Tomorrow(9) });

        await ProblemAssert.IsProblemAsync(forBob, HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(admin, HttpStatusCode.Forbidden);
        var quota = await ProblemAssert.IsProblemAsync(month, HttpStatusCode.BadRequest);
        Assert.Contains(ProblemAssert.Errors(quota, "end"), m => m.Contains("GPU-hours; your limit is", StringComparison.Ordinal));
        await ProblemAssert.IsProblemAsync(backwards, HttpStatusCode.BadRequest);
    }
}

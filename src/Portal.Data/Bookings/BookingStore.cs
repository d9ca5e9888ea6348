using Microsoft.EntityFrameworkCore;
using Portal.Core.Bookings;
using Portal.Data.Entities.Bookings;
using Portal.Data.Jobs;
using Portal.Data.Quotas;

namespace Portal.Data.Bookings;

/// <summary>A stored booking as the calendar, the API and the command line show it.</summary>
/// <param name="Id">The booking.</param>
/// <param name="HolderId">The portal account it is for.</param>
/// <param name="Holder">That account's user name.</param>
/// <param name="GpuUuids">The booked GPUs.</param>
/// <param name="Start">When the window opens.</param>
/// <param name="End">When it closes (exclusive).</param>
/// <param name="Note">What it is for.</param>
/// <param name="CreatedBy">Who made it (the holder, or an administrator).</param>
public sealed record BookingView(
    long Id, Guid HolderId, string Holder, IReadOnlyList<string> GpuUuids, DateTimeOffset Start, DateTimeOffset End, string? Note, string CreatedBy);

/// <summary>What a caller asks to book (see <see cref="BookingRequest"/>; the holder is named by account).</summary>
/// <param name="HolderId">The portal account the GPUs are for.</param>
/// <param name="GpuCount">How many GPUs, when <paramref name="GpuUuids"/> is empty.</param>
/// <param name="GpuUuids">Exactly these GPUs, or empty.</param>
/// <param name="Start">When the window opens.</param>
/// <param name="End">When it closes.</param>
/// <param name="Note">What it is for.</param>
public sealed record NewBooking(Guid HolderId, int GpuCount, IReadOnlyList<string> GpuUuids, DateTimeOffset Start, DateTimeOffset End, string? Note);

/// <summary>What <see cref="BookingStore.CreateAsync"/> did: the booking, or why not (a clash names the booking).</summary>
public sealed record BookingCreateResult(BookingView? Booking, IReadOnlyList<BookingRefusal> Refusals, bool NoSuchHolder = false);

/// <summary>
/// GPU bookings in the database. Creating one checks <see cref="BookingRules"/> against every booking that has not
/// ended with the table locked against other writers, so two requests can never both take the same GPU-hours. Who may
/// book for whom is the caller's question: <c>exempt</c> on <see cref="CreateAsync"/> lifts the holder's
/// quota (administrators), and a holder id on <see cref="DeleteAsync"/> limits a delete to that holder's bookings.
/// </summary>
public sealed class BookingStore(IDbContextFactory<PortalDbContext> contextFactory, TimeProvider timeProvider)
{
    /// <summary>Every booking that overlaps <c>[from, to)</c>, by start: the box is shared, so everyone sees them all.</summary>
    public async Task<IReadOnlyList<BookingView>> ListAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await Views(db, db.GpuBookings.Where(b => b.Start < to && from < b.End)).ToListAsync(cancellationToken);
    }

    /// <summary>One booking, or null.</summary>
    public async Task<BookingView?> FindAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await Views(db, db.GpuBookings.Where(b => b.Id == id)).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>The portal account named <paramref name="userName"/>, or null.</summary>
    public async Task<Guid?> UserIdAsync(string userName, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.Where(u => u.UserName == userName).Select(u => (Guid?)u.Id).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>The GPUs that can be booked now: present, not drained, not split into MIG instances, by index.</summary>
    public async Task<IReadOnlyList<string>> BookableGpusAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await Bookable(db).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Books GPUs for <see cref="NewBooking.HolderId"/> when the rules allow: the window, the GPUs, no clash with
    /// another booking and (unless <paramref name="exempt"/>) the holder's quota.
    /// </summary>
    /// <param name="request">What is asked.</param>
    /// <param name="createdBy">Who asks (kept on the booking).</param>
    /// <param name="exempt">True when an administrator books: no quota limits, and the window may start now.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    public async Task<BookingCreateResult> CreateAsync(NewBooking request, string createdBy, bool exempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = Now();
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // One writer at a time: the check below and the insert must see the same bookings. Readers (the scheduler, the
        // calendar) are not blocked by this mode.
        await db.Database.ExecuteSqlRawAsync("LOCK TABLE \"GpuBookings\" IN SHARE ROW EXCLUSIVE MODE", cancellationToken);
        var holder = await db.Users.AsNoTracking().Where(u => u.Id == request.HolderId)
            .Select(u => new { u.UserName }).FirstOrDefaultAsync(cancellationToken);
        if (holder?.UserName is not { } holderName)
        {
            return new BookingCreateResult(null, [new BookingRefusal("user", "There is no such user.")], NoSuchHolder: true);
        }

        var existing = (await Views(db, db.GpuBookings.Where(b => b.End > now)).ToListAsync(cancellationToken))
            .Select(b => new GpuBooking(b.Id, b.Holder, b.GpuUuids, b.Start, b.End, b.Note)).ToList();
        var gpus = await Bookable(db).ToListAsync(cancellationToken);
        var quota = exempt ? null : (await QuotaBook.LoadAsync(db, cancellationToken)).Resolve(request.HolderId);
        var (picked, refusals) = BookingRules.Check(
            new BookingRequest(holderName, request.GpuCount, request.GpuUuids, Trim(request.Start), Trim(request.End), request.Note),
            existing, gpus, quota, now);
        if (picked is null)
        {
            return new BookingCreateResult(null, refusals);
        }

        var record = new GpuBookingRecord(request.HolderId, picked, Trim(request.Start), Trim(request.End), request.Note, createdBy, now);
        db.GpuBookings.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new BookingCreateResult(
            new BookingView(record.Id, request.HolderId, holderName, record.GpuUuids, record.Start, record.End, record.Note, createdBy), []);
    }

    /// <summary>Deletes a booking; with <paramref name="holderId"/>, only one of that holder's. Returns the deleted
    /// booking, or null when there is no such booking (or it is someone else's).</summary>
    public async Task<BookingView?> DeleteAsync(long id, Guid? holderId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var query = db.GpuBookings.Where(b => b.Id == id && (holderId == null || b.HolderId == holderId));
        var view = await Views(db, query).FirstOrDefaultAsync(cancellationToken);
        if (view is null)
        {
            return null;
        }

        await query.ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return view;
    }

    /// <summary>
    /// The bookings a scheduling pass honours (those that have not ended at <paramref name="now"/>), each holder named
    /// by the Linux account their jobs run as; bookings of holders without one cannot matter to any job and are left out.
    /// </summary>
    internal static async Task<IReadOnlyList<GpuBooking>> ForSchedulingAsync(PortalDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rows = await db.GpuBookings.AsNoTracking().Where(b => b.End > now)
            .Join(db.Users, b => b.HolderId, u => u.Id, (b, u) => new { b.Id, u.LinuxUserName, b.GpuUuids, b.Start, b.End, b.Note })
            .Where(x => x.LinuxUserName != null)
            .ToListAsync(cancellationToken);
        return [.. rows.Select(x => new GpuBooking(x.Id, x.LinuxUserName!, x.GpuUuids, x.Start, x.End, x.Note))];
    }

    /// <summary>
    /// The booking that keeps a queued job of <paramref name="ownerId"/> off the GPUs: of the bookings of others that
    /// start before the job (started now) would end, the first to start (on <paramref name="specificGpus"/> when the job
    /// names GPUs). Null when none does (the pass that said Booked is out of date).
    /// </summary>
    internal static async Task<BookingHold?> HoldingAsync(
        PortalDbContext db, Guid ownerId, DateTimeOffset now, TimeSpan walltime, IReadOnlyList<string> specificGpus, CancellationToken cancellationToken)
    {
        var until = now + walltime;
        var candidates = await Views(db, db.GpuBookings.Where(b => b.HolderId != ownerId && b.End > now && b.Start < until))
            .ToListAsync(cancellationToken);
        var first = candidates.FirstOrDefault(b => specificGpus.Count == 0 || b.GpuUuids.Intersect(specificGpus, StringComparer.Ordinal).Any());
        return first is null ? null : new BookingHold(first.Id, first.Holder, first.Start, first.End);
    }

    private static IQueryable<BookingView> Views(PortalDbContext db, IQueryable<GpuBookingRecord> bookings) =>
        bookings.AsNoTracking()
            .Join(db.Users, b => b.HolderId, u => u.Id, (b, u) => new { Booking = b, u.UserName })
            .OrderBy(x => x.Booking.Start).ThenBy(x => x.Booking.Id)
            .Select(x => new BookingView(x.Booking.Id, x.Booking.HolderId, x.UserName ?? "", x.Booking.GpuUuids, x.Booking.Start,
                x.Booking.End, x.Booking.Note, x.Booking.CreatedBy));

    private static IQueryable<string> Bookable(PortalDbContext db) =>
        GpuStore.Offered(db).Where(g => !g.Drained).OrderBy(g => g.Index).ThenBy(g => g.Uuid).Select(g => g.Uuid);

    private DateTimeOffset Now() => Trim(timeProvider.GetUtcNow());

    // PostgreSQL keeps microseconds: a time cut to them reads back equal.
    private static DateTimeOffset Trim(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % 10), TimeSpan.Zero);
}

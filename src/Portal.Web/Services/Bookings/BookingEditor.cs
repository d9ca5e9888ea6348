using System.Globalization;
using Microsoft.Extensions.Options;
using Portal.Core.Bookings;
using Portal.Jobs;
using Portal.Data.Bookings;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Bookings;

/// <summary>What a person asks to book, from the form or the API.</summary>
/// <param name="ForUser">Whom for (a portal user name); null for the actor. Only administrators name someone else.</param>
/// <param name="GpuCount">How many GPUs, when <paramref name="GpuUuids"/> is empty.</param>
/// <param name="GpuUuids">Exactly these GPUs, or empty.</param>
/// <param name="Start">When the window opens.</param>
/// <param name="End">When it closes.</param>
/// <param name="Note">What it is for.</param>
public sealed record BookingAsk(string? ForUser, int GpuCount, IReadOnlyList<string> GpuUuids, DateTimeOffset Start, DateTimeOffset End, string? Note);

/// <summary>What <see cref="BookingEditor.CreateAsync"/> did.</summary>
/// <param name="Booking">The booking, when made.</param>
/// <param name="Refusals">Why not: the rules' sentences (a clash names the booking it clashes with).</param>
public sealed record BookingOutcome(BookingView? Booking, IReadOnlyList<BookingRefusal> Refusals)
{
    /// <summary>Refused because another booking holds the GPUs then (the API answers 409).</summary>
    public bool IsClash => Booking is null && Refusals.Any(r => r.Clash is not null);
}

/// <summary>
/// Books and frees GPUs for the form and the API alike, and audits both (booking.create, booking.delete). A user books
/// for themselves within their quota; an administrator books for anyone, without quota limits, and deletes anyone's.
/// Bookings hold in this box's own scheduler only: with jobs going to Slurm nothing would honour one, so none is made.
/// </summary>
public sealed class BookingEditor(BookingStore store, AuditLog audit, IOptions<JobBackendOptions> backend)
{
    /// <summary>Why a portal that sends jobs to Slurm takes no bookings (the form, the API and the CLI say it).</summary>
    public const string SlurmRefusal = "This portal sends jobs to a Slurm cluster, whose scheduler does not see the portal's bookings: "
        + "ask a cluster administrator for a Slurm reservation (scontrol create reservation) instead.";

    /// <summary>Whether this portal takes bookings at all (not when Slurm places the jobs).</summary>
    public bool TakesBookings => !backend.Value.IsSlurm;

    /// <summary>Books GPUs as <paramref name="actor"/> asks; <paramref name="via"/> says where ("through the API").</summary>
    public async Task<BookingOutcome> CreateAsync(CurrentUser actor, BookingAsk ask, string via, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(ask);
        if (!TakesBookings)
        {
            return Refused("", SlurmRefusal);
        }

        Guid holderId = actor.Id;
        if (ask.ForUser is { Length: > 0 } name && name != actor.Name)
        {
            if (!actor.IsAdmin)
            {
                return Refused("user", "Only administrators book GPUs for someone else.");
            }

            if (await store.UserIdAsync(name, cancellationToken) is not { } id)
            {
                return Refused("user", $"There is no user named {name}.");
            }

            holderId = id;
        }

        var result = await store.CreateAsync(
            new NewBooking(holderId, ask.GpuCount, ask.GpuUuids, ask.Start, ask.End, ask.Note), actor.Name, exempt: actor.IsAdmin, cancellationToken);
        if (result.Booking is { } booking)
        {
            await audit.WriteAsync(AuditActions.BookingCreated, actor.Actor, succeeded: true, Target(booking), Describe(booking) + " " + via, cancellationToken);
        }

        return new BookingOutcome(result.Booking, result.Refusals);
    }

    /// <summary>Deletes booking <paramref name="id"/>: the actor's own, or (with <paramref name="anyone"/>, administrators
    /// only) anyone's. Null when there is no such booking the actor may delete.</summary>
    public async Task<BookingView?> DeleteAsync(CurrentUser actor, long id, bool anyone, string via, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (anyone && !actor.IsAdmin)
        {
            throw new UnauthorizedAccessException("Only administrators delete other users' bookings.");
        }

        var deleted = await store.DeleteAsync(id, anyone ? null : actor.Id, cancellationToken);
        if (deleted is not null)
        {
            await audit.WriteAsync(AuditActions.BookingDeleted, actor.Actor, succeeded: true, Target(deleted), Describe(deleted) + " " + via, cancellationToken);
        }

        return deleted;
    }

    /// <summary>"2 GPUs for alice, 2026-12-04 09:00 to 2026-12-04 18:00 UTC".</summary>
    public static string Describe(BookingView booking)
    {
        ArgumentNullException.ThrowIfNull(booking);
        return string.Create(CultureInfo.InvariantCulture,
            $"{booking.GpuUuids.Count} GPU{(booking.GpuUuids.Count == 1 ? "" : "s")} ({string.Join(", ", booking.GpuUuids)}) for {booking.Holder}, {booking.Start.UtcDateTime:yyyy-MM-dd HH:mm} to {booking.End.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
    }

    private static string Target(BookingView booking) => string.Create(CultureInfo.InvariantCulture, $"booking {booking.Id}");

    private static BookingOutcome Refused(string field, string message) => new(null, [new BookingRefusal(field, message)]);
}

using System.Globalization;
using Portal.Core.Quotas;

namespace Portal.Core.Bookings;

/// <summary>What a person asks for: a count of GPUs (the portal picks them) or specific ones, for a window.</summary>
/// <param name="Holder">Who the GPUs are for.</param>
/// <param name="GpuCount">How many GPUs, when <paramref name="SpecificGpuUuids"/> is empty.</param>
/// <param name="SpecificGpuUuids">Exactly these GPUs, or empty for any <paramref name="GpuCount"/>.</param>
/// <param name="Start">When the window opens.</param>
/// <param name="End">When it closes.</param>
/// <param name="Note">What it is for.</param>
public sealed record BookingRequest(
    string Holder, int GpuCount, IReadOnlyList<string> SpecificGpuUuids, DateTimeOffset Start, DateTimeOffset End, string? Note);

/// <summary>Why a booking was refused: a sentence naming the limit or the clashing booking.</summary>
/// <param name="Field">The request field it is about ("" for the whole request).</param>
/// <param name="Message">The sentence.</param>
/// <param name="Clash">The booking it clashes with, if that is the reason.</param>
public sealed record BookingRefusal(string Field, string Message, GpuBooking? Clash = null);

/// <summary>
/// The rules of booking GPUs. Pure: the caller passes the existing bookings and the GPUs (in a transaction that
/// locks the bookings table, so two requests cannot both take the same hours).
/// </summary>
public static class BookingRules
{
    /// <summary>How far ahead anyone may book.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(90);

    /// <summary>How many bookings a user (not an administrator) may have that have not ended yet.</summary>
    public const int MaxOpenBookingsPerUser = 3;

    /// <summary>The longest note.</summary>
    public const int MaxNoteLength = 200;

    /// <summary>
    /// Checks <paramref name="request"/> and picks its GPUs: the requested ones, or the lowest-indexed GPUs free of
    /// other bookings over the whole window. Users (not administrators) are held to their quota: at most their
    /// concurrent GPUs, at most their GPU-hours per window in one booking, at most
    /// <see cref="MaxOpenBookingsPerUser"/> open bookings, starting in the future.
    /// </summary>
    /// <param name="request">What is asked.</param>
    /// <param name="existing">Every booking that has not ended.</param>
    /// <param name="gpus">The box's GPUs that can be booked (present and not drained), ordered by index.</param>
    /// <param name="quota">The holder's quota, or null when an administrator books (no quota limits).</param>
    /// <param name="now">The time of the request.</param>
    /// <returns>The GPUs to book, or the refusals.</returns>
    public static (IReadOnlyList<string>? Gpus, IReadOnlyList<BookingRefusal> Refusals) Check(
        BookingRequest request, IReadOnlyList<GpuBooking> existing, IReadOnlyList<string> gpus, EffectiveQuota? quota, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(gpus);
        var refusals = new List<BookingRefusal>();
        var count = request.SpecificGpuUuids.Count > 0 ? request.SpecificGpuUuids.Count : request.GpuCount;
        if (request.End <= request.Start)
        {
            refusals.Add(new BookingRefusal("end", "The booking must end after it starts."));
        }

        if (request.End <= now)
        {
            refusals.Add(new BookingRefusal("end", "The booking must end in the future."));
        }

        if (request.Start > now + Horizon)
        {
            refusals.Add(new BookingRefusal("start", Invariant($"Bookings can start at most {Horizon.TotalDays:0} days ahead.")));
        }

        if (request.Note is { Length: > MaxNoteLength })
        {
            refusals.Add(new BookingRefusal("note", Invariant($"The note can be at most {MaxNoteLength} characters.")));
        }

        if (count < 1)
        {
            refusals.Add(new BookingRefusal("gpus", "Book at least one GPU."));
        }
        else if (request.SpecificGpuUuids.Distinct(StringComparer.Ordinal).Count() != request.SpecificGpuUuids.Count)
        {
            refusals.Add(new BookingRefusal("gpus", "A GPU is named twice."));
        }
        else if (request.SpecificGpuUuids.FirstOrDefault(u => !gpus.Contains(u, StringComparer.Ordinal)) is { } unknown)
        {
            refusals.Add(new BookingRefusal("gpus", $"{unknown} is not a GPU that can be booked (unknown, gone or drained)."));
        }
        else if (count > gpus.Count)
        {
            refusals.Add(new BookingRefusal("gpus", Invariant($"asks for {count} GPUs; this machine has {gpus.Count} that can be booked.")));
        }

        if (quota is not null)
        {
            QuotaRefusals(request, count, existing, quota, now, refusals);
        }

        if (refusals.Count > 0)
        {
            return (null, refusals);
        }

        var overlapping = existing.Where(b => b.Overlaps(request.Start, request.End)).OrderBy(b => b.Start).ToList();
        if (request.SpecificGpuUuids.Count > 0)
        {
            var clash = overlapping.FirstOrDefault(b => b.GpuUuids.Intersect(request.SpecificGpuUuids, StringComparer.Ordinal).Any());
            return clash is null
                ? (request.SpecificGpuUuids, [])
                : (null, [new BookingRefusal("gpus", $"Clashes with {clash.Describe()} on {string.Join(", ", clash.GpuUuids.Intersect(request.SpecificGpuUuids, StringComparer.Ordinal))}.", clash)]);
        }

        var taken = overlapping.SelectMany(b => b.GpuUuids).ToHashSet(StringComparer.Ordinal);
        var picked = gpus.Where(u => !taken.Contains(u)).Take(count).ToList();
        if (picked.Count == count)
        {
            return (picked, []);
        }

        var first = overlapping[0];
        return (null, [new BookingRefusal("gpus", Invariant(
            $"Only {picked.Count} of {count} GPUs are free of other bookings then; it clashes with {first.Describe()}{(overlapping.Count > 1 ? Invariant($" and {overlapping.Count - 1} more") : "")}."), first)]);
    }

    private static void QuotaRefusals(
        BookingRequest request, int count, IReadOnlyList<GpuBooking> existing, EffectiveQuota quota, DateTimeOffset now, List<BookingRefusal> refusals)
    {
        if (request.Start < now)
        {
            refusals.Add(new BookingRefusal("start", "The booking must start in the future."));
        }

        if (count > quota.MaxConcurrentGpus)
        {
            refusals.Add(new BookingRefusal("gpus", Invariant($"asks for {count} GPUs; your limit is {quota.MaxConcurrentGpus}.")));
        }

        var gpuHours = count * (request.End - request.Start).TotalHours;
        if (gpuHours > quota.GpuHoursPerWindow)
        {
            refusals.Add(new BookingRefusal("end", Invariant(
                $"books {gpuHours:0.#} GPU-hours; your limit is {quota.GpuHoursPerWindow:0.#} GPU-hours per {IdleText(quota.Window)}.")));
        }

        var open = existing.Count(b => b.Holder == request.Holder && b.End > now);
        if (open >= MaxOpenBookingsPerUser)
        {
            refusals.Add(new BookingRefusal("", Invariant($"You have {open} bookings that have not ended; the limit is {MaxOpenBookingsPerUser}.")));
        }
    }

    private static string IdleText(TimeSpan window) =>
        window.TotalDays >= 1 ? Invariant($"{window.TotalDays:0.#} days") : Invariant($"{window.TotalHours:0.#} h");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

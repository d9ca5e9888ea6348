namespace Portal.Api.Contracts;

/// <summary>
/// A request to book GPUs for a time window: either a number of GPUs (the portal picks ones free of other bookings over
/// the whole window) or specific GPUs by UUID. Times are ISO 8601 with an offset; the window is <c>[start, end)</c>.
/// </summary>
public sealed record CreateBookingRequest
{
    /// <summary>How many GPUs; leave out when naming <see cref="GpuUuids"/>.</summary>
    public int? Gpus { get; init; }

    /// <summary>Exactly these GPUs.</summary>
    public IReadOnlyList<string>? GpuUuids { get; init; }

    public DateTimeOffset? Start { get; init; }

    public DateTimeOffset? End { get; init; }

    /// <summary>What it is for (at most 200 characters), shown on the calendar.</summary>
    public string? Note { get; init; }

    /// <summary>Whom the GPUs are for (a portal user name); only on <c>/admin/bookings</c>, where it is required.</summary>
    public string? User { get; init; }
}

/// <summary>A booking: GPUs set aside for one user over a window. Everyone sees every booking (the box is shared).</summary>
/// <param name="Id">The booking's id.</param>
/// <param name="Holder">The portal user the GPUs are for.</param>
/// <param name="GpuUuids">The booked GPUs.</param>
/// <param name="Start">When the window opens.</param>
/// <param name="End">When it closes (exclusive).</param>
/// <param name="Note">What it is for.</param>
/// <param name="CreatedBy">Who booked it: the holder, or an administrator.</param>
public sealed record BookingResponse(
    long Id, string Holder, IReadOnlyList<string> GpuUuids, DateTimeOffset Start, DateTimeOffset End, string? Note, string CreatedBy);

/// <summary>The bookings that have not ended, by start.</summary>
public sealed record BookingListResponse(IReadOnlyList<BookingResponse> Items);

namespace Portal.Data.Entities.Bookings;

/// <summary>
/// GPUs set aside for one holder over a time window (see <see cref="Portal.Core.Bookings.GpuBooking"/>). Written only
/// by <see cref="Portal.Data.Bookings.BookingStore"/>, which checks the rules with the table locked, so two bookings
/// never share a GPU over the same time.
/// </summary>
public sealed class GpuBookingRecord
{
    public GpuBookingRecord(Guid holderId, IReadOnlyList<string> gpuUuids, DateTimeOffset start, DateTimeOffset end, string? note, string createdBy, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(gpuUuids);
        ArgumentException.ThrowIfNullOrEmpty(createdBy);
        if (gpuUuids.Count == 0)
        {
            throw new ArgumentException("A booking holds at least one GPU.", nameof(gpuUuids));
        }

        if (end <= start)
        {
            throw new ArgumentException("A booking ends after it starts.", nameof(end));
        }

        HolderId = holderId;
        GpuUuids = [.. gpuUuids];
        Start = start;
        End = end;
        Note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        CreatedBy = createdBy;
        CreatedAt = createdAt;
    }

    // For EF Core.
    private GpuBookingRecord()
    {
        GpuUuids = [];
        CreatedBy = "";
    }

    public long Id { get; private set; }

    /// <summary>The portal account the GPUs are for.</summary>
    public Guid HolderId { get; private set; }

    /// <summary>The booked GPUs (a PostgreSQL text array).</summary>
    public List<string> GpuUuids { get; private set; }

    public DateTimeOffset Start { get; private set; }

    /// <summary>When the window closes (exclusive).</summary>
    public DateTimeOffset End { get; private set; }

    public string? Note { get; private set; }

    /// <summary>Who made it: the holder, or the administrator who booked for them.</summary>
    public string CreatedBy { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>When its holder was told it opens soon; null while not (kept so a restart does not tell twice).</summary>
    public DateTimeOffset? StartingNoticeAt { get; private set; }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Bookings;
using Portal.Data.Entities;
using Portal.Data.Entities.Bookings;

namespace Portal.Data.Configurations.Bookings;

internal sealed class GpuBookingRecordConfiguration : IEntityTypeConfiguration<GpuBookingRecord>
{
    public void Configure(EntityTypeBuilder<GpuBookingRecord> builder)
    {
        builder.ToTable("GpuBookings", t =>
        {
            t.HasCheckConstraint("CK_GpuBookings_Window", "\"End\" > \"Start\"");
            t.HasCheckConstraint("CK_GpuBookings_Gpus", "cardinality(\"GpuUuids\") >= 1");
        });
        builder.Property(b => b.Id).UseIdentityAlwaysColumn();
        builder.Property(b => b.GpuUuids).HasColumnType("text[]").IsRequired();
        builder.Property(b => b.Note).HasMaxLength(BookingRules.MaxNoteLength);
        builder.Property(b => b.CreatedBy).HasMaxLength(256).IsRequired();
        // The scheduler and the calendar read the bookings that have not ended.
        builder.HasIndex(b => b.End);
        // Deleting an account deletes its bookings: the GPUs are free again.
        builder.HasOne<PortalUser>().WithMany().HasForeignKey(b => b.HolderId).OnDelete(DeleteBehavior.Cascade);
    }
}

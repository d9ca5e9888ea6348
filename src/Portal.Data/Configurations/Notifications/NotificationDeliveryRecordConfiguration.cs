using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities.Notifications;

namespace Portal.Data.Configurations.Notifications;

internal sealed class NotificationDeliveryRecordConfiguration : IEntityTypeConfiguration<NotificationDeliveryRecord>
{
    public void Configure(EntityTypeBuilder<NotificationDeliveryRecord> builder)
    {
        builder.ToTable("NotificationDeliveries", t =>
        {
            t.HasCheckConstraint("CK_NotificationDeliveries_Channel", "\"Channel\" IN ('Email','Webhook')");
            t.HasCheckConstraint("CK_NotificationDeliveries_Settled", "\"DeliveredAt\" IS NULL OR \"GaveUpAt\" IS NULL");
            t.HasCheckConstraint("CK_NotificationDeliveries_Attempts", "\"Attempts\" >= 0");
        });
        builder.Property(d => d.Id).UseIdentityAlwaysColumn();
        builder.Property(d => d.Channel).HasConversion<string>().HasMaxLength(16);
        builder.Property(d => d.LastError).HasMaxLength(NotificationDeliveryRecord.MaxErrorLength);
        builder.Ignore(d => d.IsPending);
        // One row per notification and channel: a notification is queued once per channel, never twice.
        builder.HasIndex(d => new { d.NotificationId, d.Channel }).IsUnique();
        // The dispatcher's question: what is due now.
        builder.HasIndex(d => d.NextAttemptAt).HasFilter("\"DeliveredAt\" IS NULL AND \"GaveUpAt\" IS NULL")
            .HasDatabaseName("IX_NotificationDeliveries_Due");
        builder.HasOne(d => d.Notification).WithMany().HasForeignKey(d => d.NotificationId).OnDelete(DeleteBehavior.Cascade);
    }
}

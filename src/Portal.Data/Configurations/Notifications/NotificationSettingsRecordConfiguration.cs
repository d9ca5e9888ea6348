using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities;
using Portal.Data.Entities.Notifications;

namespace Portal.Data.Configurations.Notifications;

internal sealed class NotificationSettingsRecordConfiguration : IEntityTypeConfiguration<NotificationSettingsRecord>
{
    public void Configure(EntityTypeBuilder<NotificationSettingsRecord> builder)
    {
        builder.ToTable("NotificationSettings", t =>
        {
            // Kinds are flag sets (Portal.Core.Notifications.NotificationKinds): 127 is every kind that exists.
            t.HasCheckConstraint("CK_NotificationSettings_Kinds", "\"PortalKinds\" BETWEEN 0 AND 127 AND \"EmailKinds\" BETWEEN 0 AND 127 AND \"WebhookKinds\" BETWEEN 0 AND 127");
            t.HasCheckConstraint("CK_NotificationSettings_Webhook", "(\"WebhookUrl\" IS NULL) = (\"WebhookSecretProtected\" IS NULL)");
        });
        builder.HasKey(s => s.UserId);
        builder.Property(s => s.WebhookUrl).HasMaxLength(2000);
        builder.Property(s => s.WebhookSecretProtected).HasMaxLength(1000);
        builder.HasOne<PortalUser>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities;
using Portal.Launcher.Protocol;

namespace Portal.Data.Configurations;

internal sealed class PortalUserConfiguration : IEntityTypeConfiguration<PortalUser>
{
    public void Configure(EntityTypeBuilder<PortalUser> builder)
    {
        builder.Property(u => u.LinuxUserName).HasMaxLength(LinuxUserName.MaxLength);
        builder.Property(u => u.CreatedAt).HasDefaultValueSql("now()");

        // One Linux account belongs to one portal account: two portal accounts sharing a UID
        // could act on each other's containers.
        builder.HasIndex(u => u.LinuxUserName).IsUnique().HasFilter("\"LinuxUserName\" IS NOT NULL");
        builder.HasIndex(u => u.LinuxUid).IsUnique().HasFilter("\"LinuxUid\" IS NOT NULL");
        builder.ToTable(t => t.HasCheckConstraint(
            "CK_Users_LinuxBinding",
            "(\"LinuxUserName\" IS NULL) = (\"LinuxUid\" IS NULL)"));
    }
}

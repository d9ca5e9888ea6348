using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities;
using Portal.Data.Entities.Presets;
using Portal.Data.Presets;

namespace Portal.Data.Configurations.Presets;

internal sealed class JobPresetRecordConfiguration : IEntityTypeConfiguration<JobPresetRecord>
{
    public void Configure(EntityTypeBuilder<JobPresetRecord> builder)
    {
        builder.ToTable("JobPresets", t =>
        {
            // The entity's rules again, so a hand-written UPDATE cannot store a name the URL and the CLI cannot carry.
            t.HasCheckConstraint("CK_JobPresets_Name", "\"Name\" ~ '^[A-Za-z0-9]([A-Za-z0-9 ._+-]*[A-Za-z0-9._+-])?$'");
            // Twice the entity's bound: jsonb prints its text form with a space after each ':' and ','.
            t.HasCheckConstraint("CK_JobPresets_ValuesSize", $"char_length(\"ValuesJson\"::text) <= {2 * PresetRules.MaxValuesChars}");
            t.HasCheckConstraint("CK_JobPresets_ValuesObject", "jsonb_typeof(\"ValuesJson\") = 'object'");
            t.HasCheckConstraint("CK_JobPresets_Times", "\"UpdatedAt\" >= \"CreatedAt\"");
        });
        builder.Property(p => p.Id).UseIdentityAlwaysColumn();
        builder.Property(p => p.Name).HasMaxLength(PresetRules.MaxNameLength).IsRequired();
        builder.Property(p => p.ValuesJson).HasColumnType("jsonb").IsRequired();
        builder.Ignore(p => p.IsBoxWide);
        // One name per owner, and one per box among the box-wide presets (their owner is null: nulls not distinct).
        builder.HasIndex(p => new { p.OwnerId, p.Name }).IsUnique().AreNullsDistinct(false);
        // Deleting an account deletes its presets; box-wide ones belong to no account.
        builder.HasOne<PortalUser>().WithMany().HasForeignKey(p => p.OwnerId).OnDelete(DeleteBehavior.Cascade);
    }
}

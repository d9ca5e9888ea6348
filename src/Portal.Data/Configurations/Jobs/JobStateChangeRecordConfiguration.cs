using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities.Jobs;

namespace Portal.Data.Configurations.Jobs;

internal sealed class JobStateChangeRecordConfiguration : IEntityTypeConfiguration<JobStateChangeRecord>
{
    public void Configure(EntityTypeBuilder<JobStateChangeRecord> builder)
    {
        builder.ToTable("JobStateChanges", table =>
        {
            table.HasCheckConstraint("CK_JobStateChanges_ToState", StateSql.InList("ToState", StateSql.AllStates));
            table.HasCheckConstraint("CK_JobStateChanges_FromState",
                "\"FromState\" IS NULL OR " + StateSql.InList("FromState", StateSql.AllStates));
            // Only the submission comes from nothing, and it enters the queue.
            table.HasCheckConstraint("CK_JobStateChanges_SubmissionEntersQueue",
                "\"FromState\" IS NOT NULL OR \"ToState\" = 'Queued'");
        });
        builder.Property(c => c.Id).UseIdentityAlwaysColumn();
        builder.Property(c => c.FromState).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.ToState).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.Reason).HasMaxLength(1024);
        builder.HasOne<JobRecord>().WithMany().HasForeignKey(c => c.JobId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(c => new { c.JobId, c.Id });
    }
}

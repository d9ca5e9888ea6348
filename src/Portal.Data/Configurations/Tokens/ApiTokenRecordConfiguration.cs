using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities;
using Portal.Data.Entities.Tokens;

namespace Portal.Data.Configurations.Tokens;

internal sealed class ApiTokenRecordConfiguration : IEntityTypeConfiguration<ApiTokenRecord>
{
    public void Configure(EntityTypeBuilder<ApiTokenRecord> builder)
    {
        builder.ToTable("ApiTokens", t =>
        {
            t.HasCheckConstraint("CK_ApiTokens_HashLength", "octet_length(\"SecretHash\") = 32");
            t.HasCheckConstraint("CK_ApiTokens_Expiry", "\"ExpiresAt\" > \"CreatedAt\"");
            t.HasCheckConstraint("CK_ApiTokens_Scopes", "cardinality(\"Scopes\") > 0 AND \"Scopes\" <@ ARRAY['jobs:read','jobs:write','admin']::text[]");
            t.HasCheckConstraint("CK_ApiTokens_Revoked", "\"RevokedAt\" IS NULL OR \"RevokedAt\" >= \"CreatedAt\"");
        });
        builder.Property(t => t.Id).UseIdentityAlwaysColumn();
        builder.Property(t => t.Name).HasMaxLength(64).IsRequired();
        builder.Property(t => t.SecretHash).IsRequired();
        builder.Property(t => t.DisplayPrefix).HasMaxLength(16).IsRequired();
        builder.Property(t => t.Scopes).IsRequired();
        // Lookup by hash on every API request.
        builder.HasIndex(t => t.SecretHash).IsUnique();
        builder.HasIndex(t => t.UserId);
        // Deleting an account deletes its tokens.
        builder.HasOne<PortalUser>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

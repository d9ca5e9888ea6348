using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Portal.Data.Entities;
using Portal.Data.Entities.Bookings;
using Portal.Data.Entities.Jobs;
using Portal.Data.Entities.Notifications;
using Portal.Data.Entities.Presets;
using Portal.Data.Entities.Quotas;
using Portal.Data.Entities.Tokens;

namespace Portal.Data;

/// <summary>
/// The portal's database: Identity accounts and roles, the audit trail, jobs with their state history, the GPU
/// ledger, quota policies, API tokens, launch-form presets, notifications with their outbox, and GPU bookings.
/// </summary>
/// <remarks>
/// Migrations live in the Portal.Migrations assembly. To add one, from the repository root:
/// <code>dotnet ef migrations add NAME --project migrations/Portal.Migrations --startup-project migrations/Portal.Migrations</code>
/// </remarks>
public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options)
    : IdentityDbContext<PortalUser, IdentityRole<Guid>, Guid>(options)
{
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public DbSet<JobRecord> Jobs => Set<JobRecord>();

    public DbSet<JobStateChangeRecord> JobStateChanges => Set<JobStateChangeRecord>();

    public DbSet<GpuRecord> Gpus => Set<GpuRecord>();

    /// <summary>The GPU ledger; see <see cref="GpuAllocation"/>.</summary>
    public DbSet<GpuAllocation> GpuAllocations => Set<GpuAllocation>();

    public DbSet<DefaultQuotaRecord> QuotaDefault => Set<DefaultQuotaRecord>();

    public DbSet<QuotaGroupRecord> QuotaGroups => Set<QuotaGroupRecord>();

    public DbSet<QuotaGroupMember> QuotaGroupMembers => Set<QuotaGroupMember>();

    public DbSet<UserQuotaOverrideRecord> UserQuotaOverrides => Set<UserQuotaOverrideRecord>();

    /// <summary>Personal access tokens for the REST API (hashes only).</summary>
    public DbSet<ApiTokenRecord> ApiTokens => Set<ApiTokenRecord>();

    /// <summary>Saved launch-form values: each user's own and the box-wide ones.</summary>
    public DbSet<JobPresetRecord> JobPresets => Set<JobPresetRecord>();
    /// <summary>What users are told about their jobs (the bell reads these).</summary>
    public DbSet<NotificationRecord> Notifications => Set<NotificationRecord>();

    /// <summary>The outbox of email and webhook sends; see <see cref="NotificationDeliveryRecord"/>.</summary>
    public DbSet<NotificationDeliveryRecord> NotificationDeliveries => Set<NotificationDeliveryRecord>();

    public DbSet<NotificationSettingsRecord> NotificationSettings => Set<NotificationSettingsRecord>();

    /// <summary>GPUs set aside for a holder over a window; the scheduler honours them.</summary>
    public DbSet<GpuBookingRecord> GpuBookings => Set<GpuBookingRecord>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
    }
}

using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Data.Entities;

namespace Portal.Web.Services.Audit;

/// <summary>Who did it: an account id when known, and the name as given.</summary>
public readonly record struct AuditActor(Guid? Id, string Name)
{
    public static AuditActor System { get; } = new(null, "(system)");
}

/// <summary>Writes security-relevant events to the audit table, with the caller's address.</summary>
public sealed class AuditLog(IDbContextFactory<PortalDbContext> contextFactory, IHttpContextAccessor httpContextAccessor)
{
    public async Task WriteAsync(
        string action,
        AuditActor actor,
        bool succeeded,
        string? target = null,
        string? detail = null,
        CancellationToken cancellationToken = default)
    {
        await using PortalDbContext db = await contextFactory.CreateDbContextAsync(cancellationToken);
        db.AuditEvents.Add(new AuditEvent(action, Truncate(actor.Name, 256), succeeded)
        {
            ActorId = actor.Id,
            Target = target is null ? null : Truncate(target, 256),
            Detail = detail is null ? null : Truncate(detail, 2048),
            RemoteAddress = httpContextAccessor.HttpContext?.Connection.RemoteIpAddress?.ToString(),
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    // A failed login records the name that was typed, which an attacker controls: bound its size.
    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}

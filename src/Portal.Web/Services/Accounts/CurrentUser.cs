using System.Security.Claims;
using Portal.Data;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Accounts;

/// <summary>The signed-in person as pages and endpoints need them, read from the session's claims.</summary>
public sealed record CurrentUser(Guid Id, string Name, bool IsAdmin, string? LinuxUserName)
{
    /// <summary>This person as the audit log records them.</summary>
    public AuditActor Actor => new(Id, Name);

    public static CurrentUser From(ClaimsPrincipal principal)
    {
        string id = principal.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? throw new InvalidOperationException("The session carries no user id.");
        return new CurrentUser(
            Guid.Parse(id),
            principal.Identity?.Name ?? "?",
            principal.IsInRole(Roles.Admin),
            principal.FindFirstValue(PortalClaimsPrincipalFactory.LinuxUserClaim));
    }
}

using Microsoft.EntityFrameworkCore;
using Portal.Api.Contracts;
using Portal.Data;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// The admin API's accounts: list, disable and enable, through the same <see cref="UserAdministration"/> as the
/// Users page, so the same rules hold (no disabling yourself), the change is audited, and a disabled account's
/// sessions and tokens stop working at its next request.
/// </summary>
internal static class AdminUserApiEndpoints
{
    public static RouteGroupBuilder MapAdminUserApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/users", ListAsync).WithName("AdminListUsers").WithSummary("Every portal account")
            .Produces<IReadOnlyList<UserResponse>>();
        admin.MapPost("/users/{id:guid}/disable", (Guid id, HttpContext context, UserAdministration users, IDbContextFactory<PortalDbContext> contexts) =>
                SetDisabledAsync(id, disabled: true, context, users, contexts))
            .WithName("AdminDisableUser").WithSummary("Disable an account: its sessions and access tokens stop working at once")
            .Produces<UserResponse>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPost("/users/{id:guid}/enable", (Guid id, HttpContext context, UserAdministration users, IDbContextFactory<PortalDbContext> contexts) =>
                SetDisabledAsync(id, disabled: false, context, users, contexts))
            .WithName("AdminEnableUser").WithSummary("Enable a disabled account (its tokens work again unless revoked or expired)")
            .Produces<UserResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        return admin;
    }

    private static async Task<IResult> ListAsync(HttpContext context, IDbContextFactory<PortalDbContext> contexts)
    {
        await using var db = await contexts.CreateDbContextAsync(context.RequestAborted);
        List<UserResponse> users = await Users(db, db.Users.OrderBy(u => u.UserName)).ToListAsync(context.RequestAborted);
        return TypedResults.Ok<IReadOnlyList<UserResponse>>(users);
    }

    private static async Task<IResult> SetDisabledAsync(
        Guid id, bool disabled, HttpContext context, UserAdministration users, IDbContextFactory<PortalDbContext> contexts)
    {
        CancellationToken cancellationToken = context.RequestAborted;
        if (await FindAsync(id, contexts, cancellationToken) is null)
        {
            return ApiProblems.NotFound($"There is no user {id}.");
        }

        var caller = ApiCaller.From(context.User);
        var actor = new AuditActor(caller.Id, caller.Name);
        AdminResult result = disabled
            ? await users.DisableAsync(actor, id, cancellationToken)
            : await users.EnableAsync(actor, id, cancellationToken);
        if (!result.Succeeded)
        {
            return ApiProblems.Conflict(result.Message);
        }

        return TypedResults.Ok(await FindAsync(id, contexts, cancellationToken));
    }

    private static async Task<UserResponse?> FindAsync(Guid id, IDbContextFactory<PortalDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Users(db, db.Users.Where(u => u.Id == id)).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>Filters and order go on the entities, before the projection: EF cannot translate them after it.</summary>
    private static IQueryable<UserResponse> Users(PortalDbContext db, IQueryable<Portal.Data.Entities.PortalUser> users) =>
        users.AsNoTracking().Select(u => new UserResponse(
            u.Id, u.UserName ?? "", u.LinuxUserName, u.LinuxUid,
            db.UserRoles.Any(ur => ur.UserId == u.Id && db.Roles.Any(r => r.Id == ur.RoleId && r.Name == Roles.Admin)),
            u.IsDisabled, u.CreatedAt));
}

using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Data.Accounts;
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
        admin.MapGet("/users", ListAsync).WithName("AdminListUsers").WithSummary("Every portal account");
        admin.MapPost("/users/{id:guid}/disable", (Guid id, HttpContext context, UserAdministration users, UserStore store) =>
                SetDisabledAsync(id, disabled: true, context, users, store))
            .WithName("AdminDisableUser").WithSummary("Disable an account: its sessions and access tokens stop working at once")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPost("/users/{id:guid}/enable", (Guid id, HttpContext context, UserAdministration users, UserStore store) =>
                SetDisabledAsync(id, disabled: false, context, users, store))
            .WithName("AdminEnableUser").WithSummary("Enable a disabled account (its tokens work again unless revoked or expired)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return admin;
    }

    private static async Task<Ok<IReadOnlyList<UserResponse>>> ListAsync(HttpContext context, UserStore store)
    {
        var users = await store.ListAsync(context.RequestAborted);
        return TypedResults.Ok<IReadOnlyList<UserResponse>>([.. users.Select(ToResponse)]);
    }

    private static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> SetDisabledAsync(
        Guid id, bool disabled, HttpContext context, UserAdministration users, UserStore store)
    {
        CancellationToken cancellationToken = context.RequestAborted;
        if (await store.FindAsync(id, cancellationToken) is null)
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

        return TypedResults.Ok(ToResponse((await store.FindAsync(id, cancellationToken))!));
    }

    private static UserResponse ToResponse(UserSummary u) =>
        new(u.Id, u.UserName, u.LinuxUserName, u.LinuxUid, u.IsAdmin, u.IsDisabled, u.CreatedAt);
}

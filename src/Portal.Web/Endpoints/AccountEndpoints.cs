using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Portal.Data.Entities;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;

namespace Portal.Web.Endpoints;

internal static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // A form post from every page's header. The metadata makes the antiforgery middleware check
        // the token; a forged post gets 400 and the session stays as it was.
        endpoints.MapPost("/account/logout", async Task<Results<RedirectHttpResult, BadRequest>> (
            HttpContext context,
            ClaimsPrincipal user,
            LoginService login,
            UserManager<PortalUser> users,
            CancellationToken cancellationToken) =>
        {
            if (context.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: false })
            {
                return TypedResults.BadRequest();
            }

            if (user.Identity?.IsAuthenticated == true)
            {
                var actor = new AuditActor(Guid.TryParse(users.GetUserId(user), out Guid id) ? id : null, user.Identity.Name ?? "?");
                await login.SignOutAsync(actor, cancellationToken);
            }

            return TypedResults.LocalRedirect("/account/login");
        }).WithMetadata(new RequireAntiforgeryTokenAttribute());
        return endpoints;
    }
}

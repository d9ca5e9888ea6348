using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Portal.Data.Entities;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Endpoints;

/// <summary>
/// The WebAuthn options a page's script asks for before it calls the browser's passkey API (registration for the
/// signed-in user; assertion for anyone, or for the user half-way through a two-factor sign-in). Both are posts with
/// the page's antiforgery token in a header; the challenge they make is kept in Identity's own cookie.
/// </summary>
internal static class SignInEndpoints
{
    public static IEndpointRouteBuilder MapSignInEndpoints(this IEndpointRouteBuilder endpoints)
    {
        RouteGroupBuilder passkeys = endpoints.MapGroup("/account/passkey");
        passkeys.MapPost("/creation-options", CreationOptionsAsync).RequireAuthorization();
        passkeys.MapPost("/request-options", RequestOptionsAsync).AllowAnonymous();
        endpoints.MapSingleSignOnEndpoints();
        return endpoints;
    }

    private static async Task<Results<ContentHttpResult, BadRequest, NotFound>> CreationOptionsAsync(
        HttpContext context, IAntiforgery antiforgery, UserManager<PortalUser> users, PortalSignInManager signIn)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return TypedResults.BadRequest();
        }

        PortalUser? user = await users.GetUserAsync(context.User);
        if (user is null)
        {
            return TypedResults.NotFound();
        }

        string name = user.UserName ?? user.Id.ToString();
        string json = await signIn.MakePasskeyCreationOptionsAsync(new PasskeyUserEntity { Id = user.Id.ToString(), Name = name, DisplayName = name });
        return TypedResults.Content(json, "application/json");
    }

    /// <summary>During a two-factor sign-in, the passkeys of that user; otherwise any (discoverable) passkey.</summary>
    private static async Task<Results<ContentHttpResult, BadRequest>> RequestOptionsAsync(HttpContext context, IAntiforgery antiforgery, PortalSignInManager signIn)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return TypedResults.BadRequest();
        }

        PortalUser? pending = context.Request.Query["step"] == "second-factor" ? await signIn.GetTwoFactorAuthenticationUserAsync() : null;
        return TypedResults.Content(await signIn.MakePasskeyRequestOptionsAsync(pending), "application/json");
    }
}

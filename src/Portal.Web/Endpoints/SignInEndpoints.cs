using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Portal.Data.Entities;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Endpoints;

/// <summary>
/// The WebAuthn options a page's script asks for before it calls the browser's passkey API (registration for the
/// signed-in user; assertion for anyone, or for the user half-way through a two-factor sign-in). Both are posts with
/// the page's antiforgery token in a header; the challenge they make is kept in Identity's own cookie. A refusal carries
/// a problem body: a bare 400 would be re-executed by the status pages as a POST of the error page, which cannot read a
/// form that is not there, and the page's script would show a 500.
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

    /// <summary>The page was loaded for someone else (signed in or out in another tab since) or its token is gone.</summary>
    private static ProblemHttpResult StalePage() => TypedResults.Problem(
        title: "This page is out of date (you signed in or out in another tab?): reload it and try again.",
        statusCode: StatusCodes.Status400BadRequest);

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> CreationOptionsAsync(
        HttpContext context, IAntiforgery antiforgery, UserManager<PortalUser> users, PortalSignInManager signIn)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return StalePage();
        }

        PortalUser? user = await users.GetUserAsync(context.User);
        if (user is null)
        {
            return TypedResults.Problem(title: "Sign in again to add a passkey.", statusCode: StatusCodes.Status404NotFound);
        }

        string name = user.UserName ?? user.Id.ToString();
        string json = await signIn.MakePasskeyCreationOptionsAsync(new PasskeyUserEntity { Id = user.Id.ToString(), Name = name, DisplayName = name });
        return TypedResults.Content(json, "application/json");
    }

    /// <summary>During a two-factor sign-in, the passkeys of that user; otherwise any (discoverable) passkey.</summary>
    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> RequestOptionsAsync(HttpContext context, IAntiforgery antiforgery, PortalSignInManager signIn)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return StalePage();
        }

        PortalUser? pending = context.Request.Query["step"] == "second-factor" ? await signIn.GetTwoFactorAuthenticationUserAsync() : null;
        return TypedResults.Content(await signIn.MakePasskeyRequestOptionsAsync(pending), "application/json");
    }
}

using Microsoft.AspNetCore.Authorization;
using Portal.Api.Contracts;
using Portal.Data;

namespace Portal.Web.Security.ApiTokens;

/// <summary>What an API endpoint needs: a token scope, and for <see cref="ApiScopes.Admin"/> also the admin role.
/// Read by the forbidden answer and the OpenAPI document.</summary>
public sealed record ApiScopeMetadata(string Scope)
{
    public bool NeedsAdminRole => Scope == ApiScopes.Admin;

    public string Describe() => NeedsAdminRole
        ? "This needs a token with the 'admin' scope, and its account must be an administrator."
        : $"This needs a token with the '{Scope}' scope.";
}

/// <summary>The API's authorization policies: one per scope, each on the bearer scheme only (a browser session
/// cookie never authorizes an API call, so no API endpoint can be driven by cross-site requests).</summary>
internal static class ApiAuthorization
{
    public static string PolicyFor(string scope) => "api:" + scope;

    public static void AddApiPolicies(this AuthorizationBuilder authorization)
    {
        foreach (var scope in ApiScopes.All)
        {
            authorization.AddPolicy(PolicyFor(scope), policy =>
            {
                policy.AddAuthenticationSchemes(ApiTokenAuthenticationHandler.SchemeName);
                policy.RequireAuthenticatedUser();
                policy.RequireClaim(ApiTokenAuthenticationHandler.ScopeClaim, scope);
                if (scope == ApiScopes.Admin)
                {
                    policy.RequireRole(Roles.Admin);
                }
            });
        }
    }

    /// <summary>Requires a token with <paramref name="scope"/> (and the admin role for the admin scope).</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(PolicyFor(scope)).WithMetadata(new ApiScopeMetadata(scope));
}

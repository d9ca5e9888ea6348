using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Data.Tokens;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Security.ApiTokens;

/// <summary>
/// The API's authentication scheme: <c>Authorization: Bearer gpp_...</c>, a personal access token. Every request is
/// checked against the database (token revoked or expired, owner disabled, owner's admin role), so a change takes
/// effect on the next request, as the cookie scheme's per-request security stamp check does for sessions.
/// The token itself is never logged.
/// </summary>
internal sealed partial class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiTokenStore tokens,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiToken";

    /// <summary>One claim per scope the token carries.</summary>
    public const string ScopeClaim = "scope";

    public const string TokenIdClaim = "portal:token_id";

    private const string BearerPrefix = "Bearer ";

    private bool _tokenPresented;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        _tokenPresented = true;
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("The Authorization header is not a bearer token.");
        }

        var (identity, refusal) = await tokens.AuthenticateAsync(header[BearerPrefix.Length..].Trim(), Context.RequestAborted);
        if (identity is null)
        {
            // The id of a known token helps an owner find out why their script stopped; the secret stays out.
            LogRefused(Logger, refusal, Context.Connection.RemoteIpAddress?.ToString());
            return AuthenticateResult.Fail("The token is not valid.");
        }

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, identity.UserId.ToString()),
            new(ClaimTypes.Name, identity.UserName),
            new(TokenIdClaim, identity.TokenId.ToString(CultureInfo.InvariantCulture)),
        };
        if (identity.IsAdmin)
        {
            claims.Add(new Claim(ClaimTypes.Role, Roles.Admin));
        }

        if (identity.LinuxUserName is { } linuxUser)
        {
            claims.Add(new Claim(PortalClaimsPrincipalFactory.LinuxUserClaim, linuxUser));
        }

        claims.AddRange(identity.Scopes.Select(s => new Claim(ScopeClaim, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        // RFC 6750: say that a bearer token is wanted, and whether the one sent was refused.
        Response.Headers.WWWAuthenticate = _tokenPresented
            ? "Bearer realm=\"portal\", error=\"invalid_token\""
            : "Bearer realm=\"portal\"";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = _tokenPresented
                    ? "The token is unknown, revoked or expired, or its account is disabled."
                    : "Send a personal access token: Authorization: Bearer <token>. Create one on the portal's Access tokens page.",
            },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        var needed = Context.GetEndpoint()?.Metadata.GetMetadata<ApiScopeMetadata>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "Forbidden",
                Detail = needed is null
                    ? "This token may not do that."
                    : needed.Describe(),
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "API token refused ({Refusal}) from {RemoteAddress}")]
    private static partial void LogRefused(ILogger logger, ApiTokenRefusal refusal, string? remoteAddress);
}

using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Api.Contracts;
using Portal.Web.Endpoints.Api;
using Portal.Web.Security.ApiTokens;

namespace Portal.Web.Configuration;

/// <summary>
/// The REST API under <see cref="ApiRoutes.Prefix"/>: the bearer-token scheme next to the session cookie, one
/// authorization policy per scope, a token bucket per token, Problem Details for every error and the OpenAPI document.
/// </summary>
internal static class ApiServices
{
    public const string RateLimitPolicy = "api-per-token";

    public static IServiceCollection AddPortalApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ApiOptions>().Bind(configuration.GetSection(ApiOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>();

        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier));
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder().AddApiPolicies();
        // Source-generated contracts first: no reflection on the hot path; anything else falls back to the default.
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
            // A number is a JSON number: "2" for cpus is refused as the launcher refuses it, not read as 2.
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        services.AddRateLimiter(AddTokenBuckets);
        services.AddOpenApi(o =>
        {
            o.ShouldInclude = description => description.RelativePath?.StartsWith(ApiRoutes.Prefix[1..] + "/", StringComparison.Ordinal) == true;
            o.AddDocumentTransformer<ApiOpenApiTransformer>();
            o.AddOperationTransformer<ApiOpenApiTransformer>();
        });
        return services;
    }

    /// <summary>
    /// API requests get Problem Details for exceptions and for bare error statuses (unknown route, wrong method),
    /// where the web pages get the HTML error page. Sits inside the web's handlers, so it answers first.
    /// </summary>
    public static IApplicationBuilder UseApiProblemResponses(this IApplicationBuilder app) =>
        app.UseWhen(IsApiRequest, api =>
        {
            api.UseExceptionHandler();
            api.UseStatusCodePages();
        });

    public static WebApplication MapPortalApi(this WebApplication app)
    {
        app.MapOpenApi(ApiRoutes.OpenApiDocument).AllowAnonymous();
        var api = app.MapGroup(ApiRoutes.Prefix).RequireRateLimiting(RateLimitPolicy).DisableAntiforgery();
        api.MapJobApi();
        api.MapSessionIdleApi();
        api.MapJobIdleApi();
        api.MapAppApi();
        api.MapJobLogsApi();
        api.MapGpuApi();
        api.MapQuotaApi();
        api.MapPresetApi();
        api.MapImageBuildApi();
        api.MapNotificationApi();
        api.MapImageApi();
        api.MapBookingApi();
        api.MapGroup("/admin").MapAdminApi();
        return app;
    }

    /// <summary>Everything under /api, not only this version: a client that asks for /api/v2 or /api/jobs gets a
    /// Problem Details 404, not the web's HTML page.</summary>
    public static bool IsApiRequest(HttpContext context) => context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);

    private static void AddTokenBuckets(RateLimiterOptions limiter)
    {
        limiter.AddPolicy(RateLimitPolicy, context =>
        {
            var options = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value;
            // Runs after authorization, so an API caller is known by its token; anything else by its address.
            var key = context.User.FindFirstValue(ApiTokenAuthenticationHandler.TokenIdClaim) is { } tokenId
                ? "token:" + tokenId
                : "address:" + context.Connection.RemoteIpAddress;
            return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.Burst,
                TokensPerPeriod = options.RequestsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });
        limiter.OnRejected = async (rejected, cancellationToken) =>
        {
            var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            var response = rejected.HttpContext.Response;
            response.StatusCode = StatusCodes.Status429TooManyRequests;
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            var problems = rejected.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = rejected.HttpContext,
                ProblemDetails =
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Title = "Too many requests",
                    Detail = $"This token made too many requests; try again in {seconds} s.",
                },
            });
        };
    }
}

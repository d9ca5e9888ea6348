using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Portal.Web.Security.ApiTokens;

namespace Portal.Web.Tests.Api;

public sealed partial class ApiOpenApiTests(ApiPortalFactory portal) : IClassFixture<ApiPortalFactory>
{
    [Fact]
    public async Task The_document_lists_every_API_endpoint_with_the_scope_it_requires()
    {
        using var anonymous = portal.ApiClient(null);
        using var response = await anonymous.GetAsync("/api/v1/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");
        var scheme = document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());

        var endpoints = ApiEndpoints();
        Assert.True(endpoints.Count >= 15, $"only {endpoints.Count} API endpoints found");
        foreach (var (method, pattern, scope) in endpoints)
        {
            var path = ConstraintPattern().Replace(pattern, "}");
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is not in the document");
            Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out var operation), $"{method} {path} is not in the document");
            var security = operation.GetProperty("security").EnumerateArray().Single();
            var scopes = security.GetProperty("bearer").EnumerateArray().Select(s => s.GetString()).ToList();
            Assert.Equal([scope], scopes);
        }

        var documented = paths.EnumerateObject().Sum(p => p.Value.EnumerateObject().Count(o => o.Name is "get" or "post" or "put" or "delete" or "patch"));
        Assert.Equal(endpoints.Count, documented);
    }

    [Fact]
    public async Task The_document_lists_the_answers_the_handlers_can_give()
    {
        using var anonymous = portal.ApiClient(null);
        using var response = await anonymous.GetAsync("/api/v1/openapi.json");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");

        // Success and 400 come from the handlers' typed Results<...>; a Problem's status from the route's metadata.
        // 200: a repeated Idempotency-Key answers with the first job.
        Assert.Equal(["200", "201", "400", "413", "415"], Statuses(paths, "/api/v1/jobs", "post"));
        Assert.Equal(["200", "404"], Statuses(paths, "/api/v1/jobs/{id}", "get"));
        Assert.Equal(["200", "404", "409"], Statuses(paths, "/api/v1/jobs/{id}/cancel", "post"));
        Assert.Equal(["204", "400", "404", "413", "415"], Statuses(paths, "/api/v1/admin/gpus/{uuid}/drain", "post"));
        Assert.Equal(["200", "201", "400", "413", "415"], Statuses(paths, "/api/v1/presets/{name}", "put"));
        Assert.Equal(["200", "404"], Statuses(paths, "/api/v1/presets/{name}", "get"));
        Assert.Equal(["204", "404"], Statuses(paths, "/api/v1/admin/presets/{name}", "delete"));
        Assert.Equal(["201", "400", "409", "413", "415"], Statuses(paths, "/api/v1/bookings", "post"));
        Assert.Equal(["201", "400", "409", "413", "415"], Statuses(paths, "/api/v1/admin/bookings", "post"));
        Assert.Equal(["204", "404"], Statuses(paths, "/api/v1/bookings/{id}", "delete"));
        Assert.Equal(["200", "400", "404", "409", "413", "415"], Statuses(paths, "/api/v1/presets/{name}/rename", "post"));
        Assert.Equal(["200", "404", "502"], Statuses(paths, "/api/v1/images", "get"));
        Assert.Equal(["200", "400", "404", "409", "413", "415", "502"], Statuses(paths, "/api/v1/images", "post"));
        Assert.Equal(["200", "400", "404", "409", "502"], Statuses(paths, "/api/v1/images", "delete"));
    }

    private static List<string> Statuses(JsonElement paths, string path, string method) =>
        [.. paths.GetProperty(path).GetProperty(method).GetProperty("responses").EnumerateObject().Select(r => r.Name).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Every_API_endpoint_refuses_a_request_without_a_token()
    {
        using var anonymous = portal.ApiClient(null);
        foreach (var (method, pattern, _) in ApiEndpoints())
        {
            var path = pattern.Replace("{id:long}", "1", StringComparison.Ordinal)
                .Replace("{id:guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
                .Replace("{uuid}", "GPU-x", StringComparison.Ordinal);
            using var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        }
    }

    /// <summary>(method, route pattern, scope) of every endpoint under /api/v1 but the document itself; an endpoint
    /// without a scope fails here, so none can slip in anonymous.</summary>
    private List<(string Method, string Pattern, string Scope)> ApiEndpoints()
    {
        var source = portal.Services.GetRequiredService<EndpointDataSource>();
        var result = new List<(string, string, string)>();
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern.RawText ?? "";
            if (!pattern.StartsWith("/api/v1/", StringComparison.Ordinal) || pattern == "/api/v1/openapi.json")
            {
                continue;
            }

            var scope = endpoint.Metadata.GetMetadata<ApiScopeMetadata>();
            Assert.True(scope is not null, $"{pattern} requires no scope");
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods)
            {
                result.Add((method, pattern, scope.Scope));
            }
        }

        return result;
    }

    [GeneratedRegex(":[a-z]+}")]
    private static partial Regex ConstraintPattern();
}

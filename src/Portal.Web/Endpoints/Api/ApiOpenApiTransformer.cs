using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Portal.Api.Contracts;
using Portal.Web.Security.ApiTokens;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// Declares the bearer scheme in the OpenAPI document and, on every operation, the scope it needs (as the security
/// requirement's scope list, which OpenAPI 3.1 allows for any scheme) and whether the admin role is needed too.
/// </summary>
internal sealed class ApiOpenApiTransformer : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    public const string SchemeName = "bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        document.Info.Title = "GPU box portal API";
        document.Info.Description = "Submit, follow and cancel GPU jobs; read GPUs and quotas; administer users, quotas and GPUs. "
            + "Every call needs a personal access token (Authorization: Bearer gpp_...) with the scope its operation names.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "gpp_ personal access token",
            Description = "A personal access token from the portal's Access tokens page. Scopes: "
                + string.Join(", ", ApiScopes.All) + ".",
        };
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        var scope = context.Description.ActionDescriptor.EndpointMetadata.OfType<ApiScopeMetadata>().LastOrDefault();
        if (scope is null)
        {
            return Task.CompletedTask;
        }

        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [scope.Scope],
        });
        operation.Description = string.IsNullOrEmpty(operation.Description) ? scope.Describe() : operation.Description + " " + scope.Describe();
        return Task.CompletedTask;
    }
}

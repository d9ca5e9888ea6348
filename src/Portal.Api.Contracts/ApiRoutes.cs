namespace Portal.Api.Contracts;

/// <summary>The REST API's version prefix and scopes, shared by the portal and the command-line client.</summary>
public static class ApiRoutes
{
    /// <summary>Every endpoint lives under this prefix; a breaking change gets a new one.</summary>
    public const string Prefix = "/api/v1";

    /// <summary>Where the portal serves its OpenAPI document.</summary>
    public const string OpenApiDocument = Prefix + "/openapi.json";
}

/// <summary>What a personal access token may do. A token carries one or more.</summary>
public static class ApiScopes
{
    /// <summary>Read your jobs, their logs, the GPUs and your quota.</summary>
    public const string JobsRead = "jobs:read";

    /// <summary>Submit and cancel your jobs (implies nothing about reading; give both for a script that follows its jobs).</summary>
    public const string JobsWrite = "jobs:write";

    /// <summary>The admin endpoints and other users' jobs; works only while the token's owner is an administrator.</summary>
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [JobsRead, JobsWrite, Admin];
}

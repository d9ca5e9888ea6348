using Microsoft.Extensions.Options;

namespace Portal.Web.Configuration;

/// <summary>The REST API's limits (section "Portal:Api").</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Portal:Api";

    /// <summary>Requests each token may make per second, sustained.</summary>
    public int RequestsPerSecond { get; set; } = 20;

    /// <summary>Requests a token may make at once after being idle (the token bucket's size).</summary>
    public int Burst { get; set; } = 100;
}

/// <summary>Lists every problem with <see cref="ApiOptions"/> at once.</summary>
internal sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var problems = new List<string>();
        if (options.RequestsPerSecond < 1)
        {
            problems.Add($"{ApiOptions.SectionName}:RequestsPerSecond must be at least 1.");
        }

        if (options.Burst < 1)
        {
            problems.Add($"{ApiOptions.SectionName}:Burst must be at least 1.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

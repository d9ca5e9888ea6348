namespace Portal.Api.Contracts;

/// <summary>
/// An error as the API sends it: RFC 9457 Problem Details (<c>application/problem+json</c>). <see cref="Errors"/>
/// holds field-level messages keyed by the request's JSON property ("" for the request as a whole), worded as the
/// web launch form words them.
/// </summary>
public sealed record ApiProblem
{
    public string? Type { get; init; }

    public string? Title { get; init; }

    public int? Status { get; init; }

    public string? Detail { get; init; }

    public string? Instance { get; init; }

    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }
}

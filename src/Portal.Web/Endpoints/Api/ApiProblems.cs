using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Core.Jobs;

namespace Portal.Web.Endpoints.Api;

/// <summary>The API's error answers, all RFC 9457 Problem Details: <see cref="ProblemHttpResult"/> for a status with a
/// message, <see cref="ValidationProblem"/> (400) for field errors. Handlers declare them in their typed
/// <c>Results&lt;...&gt;</c>.</summary>
internal static class ApiProblems
{
    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static ProblemHttpResult Gone(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status410Gone, title: "Gone");

    /// <summary>The launcher or podman failed to do what was asked; the detail is their reason.</summary>
    public static ProblemHttpResult LauncherFailed(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status502BadGateway, title: "The launcher failed");

    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    /// <summary>Field-level errors keyed by the request's JSON property ("" for the request as a whole).</summary>
    public static ValidationProblem Validation(IEnumerable<(string Field, string Message)> errors) =>
        TypedResults.ValidationProblem(
            errors.GroupBy(e => e.Field, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray(), StringComparer.Ordinal),
            detail: "The request has problems; see errors.",
            title: "One or more validation errors occurred.");

    public static ValidationProblem Validation(string field, string message) => Validation([(field, message)]);

    /// <summary>The validator's errors (named after <see cref="JobSpec"/> properties, as the launch form shows
    /// them) keyed by the submit request's JSON properties instead.</summary>
    public static ValidationProblem JobValidation(IEnumerable<FieldError> errors, bool specificGpus) =>
        Validation(errors.Select(e => (JobFieldName(e.Field, specificGpus), e.Message)));

    private static string JobFieldName(string specField, bool specificGpus) => specField switch
    {
        "" => "",
        nameof(JobSpec.Walltime) => "walltimeMinutes",
        nameof(JobSpec.Gpus) when specificGpus => "gpuUuids",
        _ => char.ToLowerInvariant(specField[0]) + specField[1..],
    };
}

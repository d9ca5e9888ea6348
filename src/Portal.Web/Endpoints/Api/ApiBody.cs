using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// Reads a JSON request body so that every malformed one gets a Problem Details answer naming what is wrong (not
/// JSON, wrong type at <c>$.gpus</c>, missing), never a bare 400 or a 500. Framework binding would answer the same
/// mistakes with an empty 400.
/// </summary>
internal static class ApiBody
{
    /// <summary>Bodies larger than this are refused; the biggest valid job request is far smaller.</summary>
    public const long MaxBytes = 1024 * 1024;

    /// <summary>The body as <typeparamref name="T"/>, or why not: <see cref="BodyResult{T}.Problem"/> (415, 413) or
    /// <see cref="BodyResult{T}.Invalid"/> (400 naming the field).</summary>
    public static async Task<BodyResult<T>> ReadAsync<T>(HttpContext context)
        where T : class
    {
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            return new(null, TypedResults.Problem(
                "Send the body as JSON with Content-Type: application/json.",
                statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type"), null);
        }

        if (request.ContentLength > MaxBytes)
        {
            return new(null, TooLarge(), null);
        }

        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var typeInfo = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        try
        {
            using var limited = new MemoryStream();
            await CopyLimitedAsync(request.Body, limited, context.RequestAborted);
            if (limited.Length == 0)
            {
                return new(null, null, ApiProblems.Validation("", "A JSON body is required."));
            }

            limited.Position = 0;
            var value = await JsonSerializer.DeserializeAsync(limited, typeInfo, context.RequestAborted);
            return value is null ? new(null, null, ApiProblems.Validation("", "A JSON object is required, not null.")) : new(value, null, null);
        }
        catch (BodyTooLargeException)
        {
            return new(null, TooLarge(), null);
        }
        catch (JsonException e)
        {
            return new(null, null, ApiProblems.Validation(FieldOf(e.Path), e.Path is null or "$"
                ? "The body is not valid JSON."
                : $"Not a valid value for {FieldOf(e.Path)} (line {e.LineNumber + 1})."));
        }
    }

    private static ProblemHttpResult TooLarge() => TypedResults.Problem(
        $"The body is larger than {MaxBytes / 1024} KiB.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large");

    /// <summary>"$.mounts[0].source" becomes "mounts[0].source": the property path as the client wrote it.</summary>
    private static string FieldOf(string? path) => path switch
    {
        null or "$" => "",
        _ when path.StartsWith("$.", StringComparison.Ordinal) => path[2..],
        _ => path.TrimStart('$'),
    };

    private static async Task CopyLimitedAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (to.Length + read > MaxBytes)
            {
                throw new BodyTooLargeException();
            }

            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private sealed class BodyTooLargeException : Exception;
}

/// <summary>A request body: the value, or exactly one of the two kinds of answer that refuse it.</summary>
/// <param name="Value">The body, when it could be read.</param>
/// <param name="Problem">Not JSON (415) or too large (413).</param>
/// <param name="Invalid">Empty, null or malformed JSON, with the field it went wrong at (400).</param>
internal sealed record BodyResult<T>(T? Value, ProblemHttpResult? Problem, ValidationProblem? Invalid)
    where T : class;

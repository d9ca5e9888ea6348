using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Launcher.Protocol;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Images;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// <c>POST /images/build</c>: builds an image into the caller's own storage from a Containerfile in a folder of theirs.
/// A bad folder, tag or Containerfile name is a 400 before anything runs; otherwise the answer is 200 at once and
/// streams NDJSON (<see cref="ImageBuildEvent"/>): each build log line as the launcher relays it, then one line that
/// says whether the build succeeded (with the image id) or failed (with why). A client that disconnects ends the build.
/// </summary>
internal static class ImageBuildEndpoints
{
    private const string NdJson = "application/x-ndjson";

    public static RouteGroupBuilder MapImageBuildApi(this RouteGroupBuilder api)
    {
        api.MapPost("/images/build", BuildAsync).RequireScope(ApiScopes.JobsWrite)
            .Accepts<ImageBuildRequest>("application/json")
            .WithName("BuildImage").WithTags("Images").WithSummary("Build an image from a Containerfile in a folder of yours, log streamed live")
            .WithDescription("The image is stored as localhost/NAME:TAG in your own image storage. The build has no network and never pulls: "
                + "its base must be in your storage already. The answer streams application/x-ndjson, one ImageBuildEvent per line: "
                + "type 'log' lines as the build writes them, then one 'succeeded' (imageId) or 'failed' (error) line.")
            .Produces<ImageBuildEvent>(StatusCodes.Status200OK, NdJson)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return api;
    }

    // The body is written here as it comes, so success is an empty result whose 200 is declared above.
    private static async Task<Results<EmptyHttpResult, ValidationProblem, ProblemHttpResult>> BuildAsync(HttpContext context, ImageBuilds builds)
    {
        var body = await ApiBody.ReadAsync<ImageBuildRequest>(context);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        if (body.Invalid is { } invalid)
        {
            return invalid;
        }

        var request = body.Value!;
        var user = ApiCaller.From(context.User).AsRequester();
        var build = new BuildSpec { Context = request.Context, Containerfile = request.Containerfile, Tag = request.Tag };
        var problems = await builds.CheckAsync(user, build, context.RequestAborted);
        if (problems.SingleOrDefault(p => p.Field == ImageBuilds.StorageLimitField) is { } full)
        {
            return ApiProblems.Conflict(full.Message);
        }

        if (problems.Count > 0)
        {
            return ApiProblems.Validation(problems.Select(p => (FieldName(p.Field), p.Message)));
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = NdJson + "; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        // Proxies such as nginx would otherwise hold lines back.
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(context.RequestAborted);
        try
        {
            var outcome = await builds.BuildAsync(user, build, line => WriteAsync(context, new ImageBuildEvent(ImageBuildEventTypes.Log,
                line.Stream == OutputChannel.Stderr ? JobLogStreams.Stderr : JobLogStreams.Stdout, line.Time, line.Text)), context.RequestAborted);
            await WriteAsync(context, outcome.Succeeded
                ? new ImageBuildEvent(ImageBuildEventTypes.Succeeded, Image: outcome.Image, ImageId: outcome.ImageId)
                : new ImageBuildEvent(ImageBuildEventTypes.Failed, Image: outcome.Image, Error: outcome.Error));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (Ctrl-C in `portal image build`): the launcher ended the build and cleaned up.
        }

        return TypedResults.Empty;
    }

    private static async Task WriteAsync(HttpContext context, ImageBuildEvent e)
    {
        // JSON escapes every control character, a line break included: one event stays one line.
        await context.Response.WriteAsync(JsonSerializer.Serialize(e, ApiJsonContext.Default.ImageBuildEvent) + "\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    /// <summary>A <see cref="BuildSpec"/> property as the request's JSON names it.</summary>
    private static string FieldName(string field) => field switch
    {
        nameof(BuildSpec.Context) => "context",
        nameof(BuildSpec.Containerfile) => "containerfile",
        nameof(BuildSpec.Tag) => "tag",
        _ => "",
    };
}

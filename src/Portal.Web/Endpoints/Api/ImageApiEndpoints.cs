using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Launcher.Client;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Images;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// The caller's own images: list, pull, remove, through <see cref="ImageLibrary"/> exactly as the Images page does
/// (same checks, same messages, audited).
/// </summary>
internal static class ImageApiEndpoints
{
    public const string ReferenceField = "reference";

    public static RouteGroupBuilder MapImageApi(this RouteGroupBuilder api)
    {
        api.MapGet("/images", ListAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("ListImages").WithTags("Images").WithSummary("Your images, which of your jobs use each, and your image disk use")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status502BadGateway);
        api.MapPost("/images", PullAsync).RequireScope(ApiScopes.JobsWrite)
            .WithName("PullImage").WithTags("Images").WithSummary("Pull an image from an allowed registry into your storage")
            .WithDescription("The reference names its registry in full (one of the list's registries). Refused with 409 while "
                + "your images take your whole limit. Answers when the pull has finished.")
            .Accepts<PullImageRequest>("application/json")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status502BadGateway);
        api.MapDelete("/images", RemoveAsync).RequireScope(ApiScopes.JobsWrite)
            .WithName("RemoveImage").WithTags("Images").WithSummary("Remove one of your images")
            .WithDescription("Query: reference (a name or an image id). Refused with 409 while a queued, starting or running job "
                + "of yours names the image, or (with podman's reason) while a container, e.g. an ended job's, still uses it.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status502BadGateway);
        return api;
    }

    public static ImageListResponse ToResponse(ImageOverview overview)
    {
        ArgumentNullException.ThrowIfNull(overview);
        return new ImageListResponse(
            [.. overview.Images.Select(i => new ImageResponse(i.Id, i.Names, i.SizeBytes, i.Created,
                [.. i.UsedBy.Select(j => new ImageJobResponse(j.Id, j.Name, j.State.ToString()))]))],
            overview.UseBytes, overview.LimitBytes, overview.OverLimit, overview.Registries);
    }

    private static async Task<Results<Ok<ImageListResponse>, ProblemHttpResult>> ListAsync(HttpContext context, ImageLibrary library)
    {
        var caller = ApiCaller.From(context.User);
        if (caller.LinuxUserName is not { } linuxUser)
        {
            return Unbound();
        }

        try
        {
            return TypedResults.Ok(ToResponse(await library.ListAsync(caller.Id, linuxUser, context.RequestAborted)));
        }
        catch (LauncherException e)
        {
            return ApiProblems.LauncherFailed("Your images could not be listed: " + e.Message);
        }
    }

    private static async Task<Results<Ok<ImageChangeResponse>, ValidationProblem, ProblemHttpResult>> PullAsync(
        HttpContext context, ImageLibrary library)
    {
        var body = await ApiBody.ReadAsync<PullImageRequest>(context);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        if (body.Invalid is { } invalid)
        {
            return invalid;
        }

        var caller = ApiCaller.From(context.User);
        if (caller.LinuxUserName is not { } linuxUser)
        {
            return Unbound();
        }

        var change = await library.PullAsync(caller.AsRequester().Actor, caller.Id, linuxUser, body.Value!.Reference, context.RequestAborted);
        return Answer(change, body.Value.Reference);
    }

    private static async Task<Results<Ok<ImageChangeResponse>, ValidationProblem, ProblemHttpResult>> RemoveAsync(
        string? reference, HttpContext context, ImageLibrary library)
    {
        var caller = ApiCaller.From(context.User);
        if (caller.LinuxUserName is not { } linuxUser)
        {
            return Unbound();
        }

        var change = await library.RemoveAsync(caller.AsRequester().Actor, caller.Id, linuxUser, reference, context.RequestAborted);
        return Answer(change, reference);
    }

    private static Results<Ok<ImageChangeResponse>, ValidationProblem, ProblemHttpResult> Answer(ImageChange change, string? reference) =>
        change.Outcome switch
        {
            ImageOutcome.Done => TypedResults.Ok(new ImageChangeResponse(reference?.Trim() ?? "", change.ImageId, change.Message, change.OverLimit)),
            ImageOutcome.Invalid => ApiProblems.Validation(ReferenceField, change.Message),
            ImageOutcome.Refused => ApiProblems.Conflict(change.Message),
            ImageOutcome.NotFound => ApiProblems.NotFound(change.Message),
            _ => ApiProblems.LauncherFailed(change.Message),
        };

    private static ProblemHttpResult Unbound() =>
        ApiProblems.NotFound("Your portal account is not bound to a Linux account, so it has no image storage.");
}

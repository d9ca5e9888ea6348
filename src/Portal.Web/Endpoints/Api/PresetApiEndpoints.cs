using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Data.Presets;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Presets;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// Launch-form presets: the caller's own under <c>/presets</c>, the box-wide ones under <c>/admin/presets</c> (admin
/// scope and role). Reading by name gives the caller's own preset first, else the box-wide one; another user's preset
/// answers 404, exactly like one that does not exist. A preset is only a set of values: submitting a job from it goes
/// through <c>POST /jobs</c> and its validation like any other request.
/// </summary>
internal static class PresetApiEndpoints
{
    private const string Tag = "Presets";

    public static RouteGroupBuilder MapPresetApi(this RouteGroupBuilder api)
    {
        api.MapGet("/presets", ListAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("ListPresets").WithTags(Tag).WithSummary("Your presets, then the box-wide ones");
        api.MapGet("/presets/{name}", GetAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("GetPreset").WithTags(Tag).WithSummary("A preset by name: yours, else the box-wide one")
            .ProducesProblem(StatusCodes.Status404NotFound);
        MapWrites(api.MapGroup("/presets").RequireScope(ApiScopes.JobsWrite).WithTags(Tag), boxWide: false);
        MapWrites(api.MapGroup("/admin/presets").RequireScope(ApiScopes.Admin).WithTags(Tag, "Admin"), boxWide: true);
        return api;
    }

    private static void MapWrites(RouteGroupBuilder group, bool boxWide)
    {
        string prefix = boxWide ? "AdminBoxWide" : "";
        string whose = boxWide ? "a box-wide preset (every user sees it; audited)" : "one of your presets";
        group.MapPut("/{name}", (string name, HttpContext context, PresetEditor editor) => PutAsync(name, boxWide, context, editor))
            .WithName(prefix + "PutPreset").WithSummary("Create or replace " + whose)
            .Accepts<PresetValues>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapPost("/{name}/rename", (string name, HttpContext context, PresetEditor editor) => RenameAsync(name, boxWide, context, editor))
            .WithName(prefix + "RenamePreset").WithSummary("Rename " + whose)
            .Accepts<RenamePresetRequest>("application/json")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapDelete("/{name}", (string name, HttpContext context, PresetEditor editor) => DeleteAsync(name, boxWide, context, editor))
            .WithName(prefix + "DeletePreset").WithSummary("Delete " + whose)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Ok<PresetListResponse>> ListAsync(HttpContext context, JobPresetStore presets)
    {
        var caller = ApiCaller.From(context.User);
        var items = await presets.ListAsync(caller.Id, context.RequestAborted);
        return TypedResults.Ok(new PresetListResponse([.. items.Select(ToResponse)]));
    }

    private static async Task<Results<Ok<PresetResponse>, ProblemHttpResult>> GetAsync(string name, HttpContext context, JobPresetStore presets)
    {
        var caller = ApiCaller.From(context.User);
        var preset = await presets.FindAsync(caller.Id, name, context.RequestAborted);
        return preset is null ? NoSuchPreset(name) : TypedResults.Ok(ToResponse(preset));
    }

    private static async Task<Results<Created<PresetResponse>, Ok<PresetResponse>, ValidationProblem, ProblemHttpResult>> PutAsync(
        string name, bool boxWide, HttpContext context, PresetEditor editor)
    {
        var body = await ApiBody.ReadAsync<PresetValues>(context);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        if (body.Invalid is { } invalid)
        {
            return invalid;
        }

        var caller = ApiCaller.From(context.User).AsRequester();
        var result = await editor.SaveAsync(caller, boxWide, name, body.Value!, "through the API", context.RequestAborted);
        if (result.Preset is not { } saved)
        {
            return ApiProblems.Validation(result.Errors);
        }

        var response = ToResponse(saved);
        return result.Status == PresetSaveStatus.Created
            ? TypedResults.Created($"{ApiRoutes.Prefix}/{(boxWide ? "admin/" : "")}presets/{Uri.EscapeDataString(saved.Name)}", response)
            : TypedResults.Ok(response);
    }

    private static async Task<Results<Ok<PresetResponse>, ValidationProblem, ProblemHttpResult>> RenameAsync(
        string name, bool boxWide, HttpContext context, PresetEditor editor)
    {
        var body = await ApiBody.ReadAsync<RenamePresetRequest>(context);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        if (body.Invalid is { } invalid)
        {
            return invalid;
        }

        var caller = ApiCaller.From(context.User).AsRequester();
        var result = await editor.RenameAsync(caller, boxWide, name, body.Value!.NewName, "through the API", context.RequestAborted);
        switch (result.Status)
        {
            case PresetChangeStatus.NotFound:
                return NoSuchPreset(name);
            case PresetChangeStatus.Invalid:
                return ApiProblems.Validation("newName", result.Error!);
            case PresetChangeStatus.NameTaken:
                return ApiProblems.Conflict(result.Error!);
        }

        return TypedResults.Ok(ToResponse(result.Preset!));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string name, bool boxWide, HttpContext context, PresetEditor editor)
    {
        var caller = ApiCaller.From(context.User).AsRequester();
        return await editor.DeleteAsync(caller, boxWide, name, "through the API", context.RequestAborted)
            ? TypedResults.NoContent()
            : NoSuchPreset(name);
    }

    private static PresetResponse ToResponse(JobPreset preset) =>
        new(preset.Name, preset.BoxWide, preset.Shadowed, preset.Values, preset.UpdatedAt);

    private static ProblemHttpResult NoSuchPreset(string name) => ApiProblems.NotFound($"You have no preset named '{name}' and there is no box-wide one.");
}

using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Data.Jobs;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Endpoints;

/// <summary><c>GET /apps/{id}/export</c> for the signed-in owner (or an admin): the pod as <c>podman kube generate</c> writes it.</summary>
internal static class AppExportEndpoints
{
    public static IEndpointRouteBuilder MapAppExport(this IEndpointRouteBuilder app)
    {
        app.MapGet("/apps/{id:long}/export", ExportAsync).RequireAuthorization();
        return app;
    }

    private static async Task<Results<NotFound, ContentHttpResult>> ExportAsync(long id, HttpContext context, JobStore jobs, ILauncher launcher, CancellationToken cancellationToken)
    {
        var user = CurrentUser.From(context.User);
        var details = await jobs.GetAsync(id, user.Id, user.IsAdmin, cancellationToken);
        if (details is null || !details.Job.Spec.IsApp)
        {
            return TypedResults.NotFound();
        }

        if (details.Backend is { IsSlurm: true })
        {
            return TypedResults.Text(Api.AppApiEndpoints.SlurmExport(id), "text/plain; charset=utf-8", statusCode: StatusCodes.Status409Conflict);
        }

        try
        {
            var yaml = await launcher.AppExportAsync(details.Job.Owner, JobKeys.Format(id), cancellationToken);
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"app-{id}.yaml\"";
            return TypedResults.Text(yaml, "application/yaml; charset=utf-8", Encoding.UTF8);
        }
        catch (LauncherException e)
        {
            return TypedResults.Text($"App {id} has no pod to export (it has not started, or was removed): {e.Message}", "text/plain; charset=utf-8",
                statusCode: StatusCodes.Status409Conflict);
        }
    }
}

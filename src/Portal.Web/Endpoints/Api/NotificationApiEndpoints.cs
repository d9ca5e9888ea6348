using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Core.Notifications;
using Portal.Data.Notifications;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Notifications;

namespace Portal.Web.Endpoints.Api;

/// <summary>The caller's notifications (the bell) and notification settings. Every read and change is the caller's
/// own: another user's notification id answers 404.</summary>
internal static class NotificationApiEndpoints
{
    private const int DefaultLimit = 50;

    public static RouteGroupBuilder MapNotificationApi(this RouteGroupBuilder api)
    {
        api.MapGet("/notifications", ListAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("ListMyNotifications").WithTags("Notifications").WithSummary("Your notifications, newest first")
            .WithDescription("`unread=true` lists only unread ones; `limit` is 1 to 500 (50).");
        api.MapPost("/notifications/{id:long}/read", MarkReadAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("MarkNotificationRead").WithTags("Notifications").WithSummary("Mark one of your notifications read")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/notifications/read", MarkAllReadAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("MarkAllNotificationsRead").WithTags("Notifications").WithSummary("Mark all your notifications read");
        api.MapGet("/notification-settings", GetSettingsAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("GetNotificationSettings").WithTags("Notifications").WithSummary("Which notifications go where, and your webhook");
        api.MapPut("/notification-settings", PutSettingsAsync).RequireScope(ApiScopes.JobsWrite)
            .WithName("PutNotificationSettings").WithTags("Notifications").WithSummary("Change which notifications go where, your email address and webhook")
            .WithDescription("Fields left out stay as they are. A first webhook URL, or `newWebhookSecret: true`, returns `webhookSecret` once. A webhook must resolve to a public address unless the administrator allows the network. Webhook changes are audited.")
            .Accepts<NotificationSettingsRequest>("application/json")
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return api;
    }

    private static async Task<Ok<NotificationListResponse>> ListAsync(
        HttpContext context, NotificationStore store, bool? unread = null, int? limit = null)
    {
        var caller = ApiCaller.From(context.User);
        var items = await store.ListAsync(caller.Id, Math.Clamp(limit ?? DefaultLimit, 1, 500), unread == true, context.RequestAborted);
        var count = await store.UnreadCountAsync(caller.Id, context.RequestAborted);
        var owner = caller.LinuxUserName ?? caller.Name;
        return TypedResults.Ok(new NotificationListResponse([.. items.Select(n => ToResponse(n, owner))], count));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> MarkReadAsync(long id, HttpContext context, NotificationStore store)
    {
        var caller = ApiCaller.From(context.User);
        return await store.MarkReadAsync(caller.Id, id, context.RequestAborted)
            ? TypedResults.NoContent()
            : ApiProblems.NotFound($"You have no notification {id}.");
    }

    private static async Task<NoContent> MarkAllReadAsync(HttpContext context, NotificationStore store)
    {
        await store.MarkAllReadAsync(ApiCaller.From(context.User).Id, context.RequestAborted);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<NotificationSettingsResponse>> GetSettingsAsync(HttpContext context, NotificationSettingsEditor editor)
    {
        var caller = ApiCaller.From(context.User);
        return TypedResults.Ok(ToResponse(await editor.GetAsync(caller.Id, IsAdmin(context), context.RequestAborted), null));
    }

    // The account's role, not the token's scope: an administrator's read-only token still reads their own settings.
    private static bool IsAdmin(HttpContext context) => context.User.IsInRole(Data.Roles.Admin);

    private static async Task<Results<Ok<NotificationSettingsResponse>, ValidationProblem, ProblemHttpResult>> PutSettingsAsync(
        HttpContext context, NotificationSettingsEditor editor)
    {
        var body = await ApiBody.ReadAsync<NotificationSettingsRequest>(context);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        if (body.Invalid is { } invalid)
        {
            return invalid;
        }

        var request = body.Value!;
        var errors = new List<(string Field, string Message)>();
        var channels = request.Channels;
        var choosable = NotificationKindSets.ChoosableBy(IsAdmin(context));
        var change = new NotificationSettingsChange(
            request.Email,
            channels is null ? null : Kinds(channels.Portal, "channels.portal", choosable, errors),
            channels is null ? null : Kinds(channels.Email, "channels.email", choosable, errors),
            channels is null ? null : Kinds(channels.Webhook, "channels.webhook", choosable, errors),
            request.WebhookUrl, request.WebhookSlackFormat, request.NewWebhookSecret == true);
        if (errors.Count > 0)
        {
            return ApiProblems.Validation(errors);
        }

        var caller = ApiCaller.From(context.User);
        var result = await editor.SaveAsync(caller.Id, caller.Name, IsAdmin(context), change, context.RequestAborted);
        if (!result.Saved)
        {
            return ApiProblems.Validation(result.Errors);
        }

        return TypedResults.Ok(ToResponse(await editor.GetAsync(caller.Id, IsAdmin(context), context.RequestAborted), result.NewWebhookSecret));
    }

    private static NotificationKinds Kinds(
        IReadOnlyList<string>? names, string field, NotificationKinds choosable, List<(string Field, string Message)> errors)
    {
        var kinds = NotificationKinds.None;
        foreach (var name in names ?? [])
        {
            if (Enum.TryParse<NotificationKinds>(name, ignoreCase: true, out var kind) && NotificationKindSets.IsSingle(kind)
                && Enum.IsDefined(kind))
            {
                if (choosable.HasFlag(kind))
                {
                    kinds |= kind;
                }
                else
                {
                    errors.Add((field, $"'{name}' is for administrators only."));
                }
            }
            else
            {
                errors.Add((field, $"'{name}' is not a kind of notification ({string.Join(", ", Names(choosable))})."));
            }
        }

        return kinds;
    }

    private static IReadOnlyList<string> Names(NotificationKinds kinds) =>
        [.. Enum.GetValues<NotificationKinds>().Where(k => k is not (NotificationKinds.None or NotificationKinds.All) && kinds.HasFlag(k)).Select(k => k.ToString())];

    private static NotificationResponse ToResponse(NotificationView n, string owner)
    {
        var explanation = NotificationText.Explanation(n, owner);
        return new(n.Id, n.Kind.ToString(), n.JobId, n.JobName, n.State, n.ExitCode, NotificationText.Title(n),
            explanation.Length == 0 ? null : explanation, n.CreatedAt, n.ReadAt, n.Subject, NotificationText.PagePath(n));
    }

    private static NotificationSettingsResponse ToResponse(NotificationSettingsView v, string? secret) => new(
        v.Email, new NotificationChannelsDto(Names(v.Portal), Names(v.EmailKinds), Names(v.Webhook)), v.WebhookUrl, v.WebhookSlackFormat,
        v.EmailAvailable, v.WebhooksAvailable,
        [.. v.Problems.Select(p => new DeliveryProblemResponse(p.Channel.ToString(), p.NotificationId, p.Attempts, p.Error, p.At, p.GaveUp, p.DeliveredAt))],
        secret);
}

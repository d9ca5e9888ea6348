using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Data.Bookings;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Bookings;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// GPU bookings. Everyone lists every booking (the box is shared, so who booked which GPU when is no secret); a user
/// books for themselves within their quota and deletes their own under <c>/bookings</c>; an administrator books for
/// anyone and deletes anyone's under <c>/admin/bookings</c> (admin scope and role). A booking that clashes with
/// another answers 409 naming it; every other refusal is a 400 with the field it is about.
/// </summary>
internal static class BookingApiEndpoints
{
    private const string Tag = "Bookings";

    public static RouteGroupBuilder MapBookingApi(this RouteGroupBuilder api)
    {
        api.MapGet("/bookings", ListAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("ListBookings").WithTags(Tag).WithSummary("Every booking that has not ended, by start");
        MapWrites(api, admin: false);
        MapWrites(api, admin: true);
        return api;
    }

    private static void MapWrites(RouteGroupBuilder api, bool admin)
    {
        string prefix = admin ? "Admin" : "";
        string path = admin ? "/admin/bookings" : "/bookings";
        string scope = admin ? ApiScopes.Admin : ApiScopes.JobsWrite;
        string[] tags = admin ? [Tag, "Admin"] : [Tag];
        api.MapPost(path, (HttpContext context, BookingEditor editor) => CreateAsync(admin, context, editor))
            .RequireScope(scope).WithTags(tags)
            .WithName(prefix + "CreateBooking")
            .WithSummary(admin ? "Book GPUs for any user (no quota limits; audited)" : "Book GPUs for yourself, within your quota (audited)")
            .Accepts<CreateBookingRequest>("application/json")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        api.MapDelete(path + "/{id:long}", (long id, HttpContext context, BookingEditor editor) => DeleteAsync(id, admin, context, editor))
            .RequireScope(scope).WithTags(tags)
            .WithName(prefix + "DeleteBooking")
            .WithSummary(admin ? "Delete anyone's booking (audited)" : "Delete one of your bookings (audited)")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Ok<BookingListResponse>> ListAsync(HttpContext context, BookingStore store, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var items = await store.ListAsync(now, DateTimeOffset.MaxValue, context.RequestAborted);
        return TypedResults.Ok(new BookingListResponse([.. items.Select(ToResponse)]));
    }

    private static async Task<Results<Created<BookingResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        bool admin, HttpContext context, BookingEditor editor)
    {
        var body = await ApiBody.ReadAsync<CreateBookingRequest>(context);
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
        if (request.Start is null)
        {
            errors.Add(("start", "Say when the booking starts."));
        }

        if (request.End is null)
        {
            errors.Add(("end", "Say when the booking ends."));
        }

        var uuids = request.GpuUuids ?? [];
        if (request.Gpus is not null && uuids.Count > 0)
        {
            errors.Add(("gpus", "Give either gpus or gpuUuids, not both."));
        }

        if (admin && string.IsNullOrWhiteSpace(request.User))
        {
            errors.Add(("user", "Say whom the GPUs are for."));
        }
        else if (!admin && request.User is not null)
        {
            errors.Add(("user", "Only /admin/bookings books for someone else."));
        }

        if (errors.Count > 0)
        {
            return ApiProblems.Validation(errors);
        }

        var caller = ApiCaller.From(context.User).AsRequester();
        var outcome = await editor.CreateAsync(
            caller, new BookingAsk(request.User, request.Gpus ?? 0, uuids, request.Start!.Value, request.End!.Value, request.Note),
            "through the API", context.RequestAborted);
        if (outcome.Booking is { } booking)
        {
            return TypedResults.Created($"{ApiRoutes.Prefix}/bookings/{booking.Id}", ToResponse(booking));
        }

        return outcome.IsClash
            ? ApiProblems.Conflict(outcome.Refusals.First(r => r.Clash is not null).Message)
            : ApiProblems.Validation(outcome.Refusals.Select(r => (r.Field, r.Message)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(long id, bool admin, HttpContext context, BookingEditor editor)
    {
        var caller = ApiCaller.From(context.User).AsRequester();
        return await editor.DeleteAsync(caller, id, anyone: admin, "through the API", context.RequestAborted) is not null
            ? TypedResults.NoContent()
            : ApiProblems.NotFound($"You have no booking {id}.");
    }

    private static BookingResponse ToResponse(BookingView booking) =>
        new(booking.Id, booking.Holder, booking.GpuUuids, booking.Start, booking.End, booking.Note, booking.CreatedBy);
}

using System.CommandLine;
using System.Globalization;
using Portal.Api.Contracts;
using Portal.Cli.Output;

namespace Portal.Cli.Commands;

/// <summary><c>portal bookings</c>, <c>portal book --gpus N|--gpu UUID --from T --to T [--for USER] [--note TEXT]</c>,
/// <c>portal booking rm [--any] ID</c>. Times are ISO 8601; one without an offset is UTC.</summary>
internal static class BookingCommands
{
    public static Command List()
    {
        var command = new Command("bookings", "Every GPU booking that has not ended (everyone's: the box is shared)");
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var bookings = await api.ListBookingsAsync(cancellationToken);
            if (output.Json)
            {
                output.WriteJson(bookings);
                return ExitCodes.Ok;
            }

            var table = new TextTable("ID", "HOLDER", "FROM (UTC)", "TO (UTC)", "GPUS", "NOTE");
            foreach (var b in bookings.Items)
            {
                table.Add(Formats.Number(b.Id), b.Holder, Formats.Time(b.Start), Formats.Time(b.End), string.Join(",", b.GpuUuids), b.Note ?? "");
            }

            table.WriteTo(output.Out);
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    public static Command Book()
    {
        var gpus = new Option<int?>("--gpus") { Description = "How many GPUs (the portal picks ones free of other bookings)" };
        var gpu = new Option<string[]>("--gpu") { Description = "A specific GPU by UUID (repeat for more)", AllowMultipleArgumentsPerToken = false };
        var from = new Option<string>("--from") { Description = "When it starts, ISO 8601 (2026-12-04T09:00; UTC without an offset)", Required = true };
        var to = new Option<string>("--to") { Description = "When it ends (exclusive)", Required = true };
        var forUser = new Option<string?>("--for") { Description = "Book for this user (needs an admin token; no quota limits)" };
        var note = new Option<string?>("--note") { Description = "What it is for (shown on the calendar)" };
        var command = new Command("book", "Book GPUs for a time window") { gpus, gpu, from, to, forUser, note };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var uuids = parse.GetValue(gpu) ?? [];
            var count = parse.GetValue(gpus);
            if ((count is null) == (uuids.Length == 0))
            {
                output.Err.WriteLine("portal: give --gpus N or --gpu UUID (one of them).");
                return ExitCodes.Usage;
            }

            if (Time(parse.GetValue(from)!) is not { } start || Time(parse.GetValue(to)!) is not { } end)
            {
                output.Err.WriteLine("portal: --from and --to take ISO 8601 times, such as 2026-12-04T09:00 or 2026-12-04T09:00+01:00.");
                return ExitCodes.Usage;
            }

            var booking = await api.CreateBookingAsync(new CreateBookingRequest
            {
                Gpus = count, GpuUuids = uuids.Length > 0 ? uuids : null, Start = start, End = end,
                Note = parse.GetValue(note), User = parse.GetValue(forUser),
            }, cancellationToken);
            if (output.Json)
            {
                output.WriteJson(booking);
                return ExitCodes.Ok;
            }

            output.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Booking {booking.Id}: {string.Join(", ", booking.GpuUuids)} for {booking.Holder}, {Formats.Time(booking.Start)} to {Formats.Time(booking.End)} UTC"));
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    public static Command Booking()
    {
        var id = new Argument<long>("id") { Description = "The booking's id (see portal bookings)" };
        var any = new Option<bool>("--any") { Description = "Delete another user's booking (needs an admin token)" };
        var rm = new Command("rm", "Delete one of your bookings") { id, any };
        rm.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var bookingId = parse.GetValue(id);
            await api.DeleteBookingAsync(bookingId, parse.GetValue(any), cancellationToken);
            output.Err.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Deleted booking {bookingId}."));
            return ExitCodes.Ok;
        }, cancellationToken));
        return new Command("booking", "Delete a GPU booking") { rm };
    }

    private static DateTimeOffset? Time(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;
}

using System.CommandLine;
using Portal.Api.Contracts;
using Portal.Cli.Output;

namespace Portal.Cli.Commands;

/// <summary><c>portal images</c>, <c>portal image pull REF</c>, <c>portal image rm REF</c>.</summary>
internal static class ImageCommands
{
    public static Command Images()
    {
        var command = new Command("images", "Your images, the jobs of yours that use each, and your image disk use");
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var list = await api.ImagesAsync(cancellationToken);
            if (output.Json)
            {
                output.WriteJson(list);
                return ExitCodes.Ok;
            }

            var table = new TextTable("NAMES", "ID", "SIZE", "CREATED (UTC)", "USED BY");
            foreach (var image in list.Images)
            {
                table.Add(image.Names.Count > 0 ? string.Join(",", image.Names) : "-", image.Id.Length > 12 ? image.Id[..12] : image.Id,
                    Formats.MiB(image.SizeBytes), Formats.Time(image.Created),
                    image.UsedBy.Count > 0 ? string.Join(",", image.UsedBy.Select(j => Formats.Number(j.Id))) : "-");
            }

            table.WriteTo(output.Out);
            output.Out.WriteLine($"Disk use: {Formats.MiB(list.UseBytes)} of {(list.LimitBytes is { } limit ? Formats.MiB(limit) : "no limit")}.");
            if (list.OverLimit)
            {
                output.Out.WriteLine("You are over your limit: no pull is accepted until you remove images.");
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    public static Command Image()
    {
        var reference = new Argument<string>("reference") { Description = "registry/name[:tag] or registry/name@sha256:digest" };
        var pull = new Command("pull", "Pull an image from a registry the server allows into your storage") { reference };
        pull.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            Report(output, await api.PullImageAsync(new PullImageRequest { Reference = parse.GetValue(reference) }, cancellationToken));
            return ExitCodes.Ok;
        }, cancellationToken));

        var name = new Argument<string>("reference") { Description = "The image's name or id" };
        var remove = new Command("rm", "Remove one of your images (not while a queued or running job of yours uses it)") { name };
        remove.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            Report(output, await api.RemoveImageAsync(parse.GetValue(name)!, cancellationToken));
            return ExitCodes.Ok;
        }, cancellationToken));
        return new Command("image", "Pull, build or remove one of your images") { pull, ImageBuildCommand.Create(), remove };
    }

    private static void Report(CliOutput output, ImageChangeResponse change)
    {
        if (output.Json)
        {
            output.WriteJson(change);
            return;
        }

        output.Out.WriteLine(change.ImageId is { } id ? $"{change.Message} Image id {id}." : change.Message);
        if (change.OverLimit)
        {
            output.Out.WriteLine("Your images now take your whole limit or more: further pulls are refused until you remove some.");
        }
    }
}

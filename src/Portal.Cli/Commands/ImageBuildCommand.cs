using System.CommandLine;
using Portal.Api.Contracts;

namespace Portal.Cli.Commands;

/// <summary><c>portal image build DIR -t NAME[:TAG] [-f FILE]</c>: builds on the box, the log streamed as it comes.</summary>
internal static class ImageBuildCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("dir") { Description = "The build folder on the box (absolute, or relative to here when you run portal on the box)" };
        var tag = new Option<string>("--tag", "-t") { Description = "NAME or NAME:TAG; the image is stored as localhost/NAME:TAG", Required = true };
        var file = new Option<string?>("--file", "-f") { Description = "The Containerfile's name inside DIR (default: Containerfile, else Dockerfile)" };
        var command = new Command("build", "Build an image into your own storage from a Containerfile on the box; no network, no pulls (the base must be there). Ctrl-C ends the build.")
        {
            folder, tag, file,
        };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var request = new ImageBuildRequest(Path.GetFullPath(parse.GetValue(folder)!), parse.GetValue(tag)!, parse.GetValue(file));
            var last = await api.BuildImageAsync(request, e =>
            {
                if (output.Json)
                {
                    // One event per line, as the API sends them (NDJSON), not the indented form of other commands.
                    output.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(e, ApiJsonContext.Default.ImageBuildEvent));
                }
                else if (e.Type == ImageBuildEventTypes.Log)
                {
                    (e.Stream == JobLogStreams.Stderr ? output.Err : output.Out).WriteLine(e.Text);
                }
            }, cancellationToken);
            if (last.Type == ImageBuildEventTypes.Succeeded)
            {
                if (!output.Json)
                {
                    output.Out.WriteLine($"Built {last.Image} ({last.ImageId}).");
                }

                return ExitCodes.Ok;
            }

            if (!output.Json)
            {
                output.Error($"the build of {last.Image} failed: {last.Error}");
            }

            return ExitCodes.Refused;
        }, cancellationToken));
        return command;
    }
}

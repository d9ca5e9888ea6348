namespace Portal.Api.Contracts;

/// <summary>Builds an image into your own image storage from a Containerfile in a folder of yours on the box.</summary>
/// <param name="Context">The build folder: an absolute path under the folders you may mount (your home, shared roots).</param>
/// <param name="Tag">NAME or NAME:TAG (lower case); the image is stored as localhost/NAME:TAG (:latest when no tag).</param>
/// <param name="Containerfile">A file name inside the folder; when absent, Containerfile, else Dockerfile.</param>
public sealed record ImageBuildRequest(string Context, string Tag, string? Containerfile = null);

/// <summary>
/// One line of a build's answer (<c>application/x-ndjson</c>): <see cref="ImageBuildEventTypes.Log"/> lines as the build
/// writes them, then exactly one <see cref="ImageBuildEventTypes.Succeeded"/> or <see cref="ImageBuildEventTypes.Failed"/>.
/// </summary>
/// <param name="Type">log, succeeded or failed.</param>
/// <param name="Stream">For a log line: stdout or stderr.</param>
/// <param name="Time">For a log line: when the launcher read it (UTC).</param>
/// <param name="Text">For a log line: the text.</param>
/// <param name="Image">The image's reference, localhost/NAME:TAG (on the last line).</param>
/// <param name="ImageId">For succeeded: the image's id.</param>
/// <param name="Error">For failed: why, in words (a missing base, a failed step, the deadline).</param>
public sealed record ImageBuildEvent(
    string Type,
    string? Stream = null,
    string? Time = null,
    string? Text = null,
    string? Image = null,
    string? ImageId = null,
    string? Error = null);

/// <summary>The values of <see cref="ImageBuildEvent.Type"/>.</summary>
public static class ImageBuildEventTypes
{
    public const string Log = "log";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

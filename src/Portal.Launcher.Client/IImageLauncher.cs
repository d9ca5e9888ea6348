using Portal.Launcher.Protocol;

namespace Portal.Launcher.Client;

/// <summary>
/// Changes to a user's own image storage through the launcher (docs/images.md). Check a reference with
/// <see cref="ImageRules"/> first: the launcher refuses what those rules refuse.
/// </summary>
public interface IImageLauncher
{
    /// <summary>Pulls <paramref name="reference"/> (on a registry the launcher's policy allows) into the user's storage;
    /// returns the image id. Lasts up to <paramref name="timeout"/>, the launcher policy's pull deadline.</summary>
    Task<string> PullImageAsync(string user, string reference, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Removes an image no container of the user's uses; fails with podman's reason otherwise.</summary>
    Task RemoveImageAsync(string user, string reference, CancellationToken cancellationToken = default);

    /// <summary>
    /// Builds <paramref name="build"/> (checked with <see cref="ImageBuildRules"/>) into the user's storage as
    /// <c>localhost/NAME:TAG</c>, handing each line of the build log to <paramref name="onLogLine"/> as it comes; returns
    /// the image id. Lasts up to <paramref name="timeout"/> (the launcher policy's build deadline, plus a margin); a
    /// failed build throws <see cref="LauncherException"/> with the launcher's reason. Cancelling ends the build, and the
    /// launcher removes what it left.
    /// </summary>
    Task<string> BuildImageAsync(string user, BuildSpec build, Func<LogLine, Task> onLogLine, TimeSpan timeout, CancellationToken cancellationToken = default);
}

using Portal.Launcher.Protocol;

namespace Portal.Launcher.Client;

public sealed partial class ProcessLauncher : IImageLauncher
{
    public async Task<string> PullImageAsync(string user, string reference, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        (await CallAsync(Request(LauncherVerbs.ImagePull, user) with { Image = new ImageSpec { Reference = reference } }, cancellationToken, timeout))
            .ImageId ?? "";

    public Task RemoveImageAsync(string user, string reference, CancellationToken cancellationToken = default) =>
        CallAsync(Request(LauncherVerbs.ImageRemove, user) with { Image = new ImageSpec { Reference = reference } }, cancellationToken);
}

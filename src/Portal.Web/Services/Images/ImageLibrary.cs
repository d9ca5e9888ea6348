using Microsoft.Extensions.Options;
using Portal.Core.Jobs;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Images;

/// <summary>One of the caller's jobs that names an image.</summary>
public sealed record ImageJob(long Id, string Name, JobState State)
{
    /// <summary>Queued, starting or running: the image must stay.</summary>
    public bool Active => State is JobState.Queued or JobState.Starting or JobState.Running;
}

/// <summary>An image in the caller's own storage, with the caller's jobs that name it (newest first).</summary>
public sealed record MyImage(string Id, IReadOnlyList<string> Names, long? SizeBytes, DateTimeOffset? Created, IReadOnlyList<ImageJob> UsedBy)
{
    /// <summary>The id as podman prints it by default.</summary>
    public string ShortId => Id.Length > 12 ? Id[..12] : Id;
}

/// <summary>The caller's images, their disk use and limit, and the registries pulls may name.</summary>
public sealed record ImageOverview(IReadOnlyList<MyImage> Images, long UseBytes, long? LimitBytes, IReadOnlyList<string> Registries)
{
    /// <summary>At or over the limit: the images stay, further pulls are refused.</summary>
    public bool OverLimit => LimitBytes is { } limit && UseBytes >= limit;
}

public enum ImageOutcome
{
    /// <summary>Pulled or removed.</summary>
    Done,

    /// <summary>The reference is malformed or names a registry pulls may not use; nothing was called.</summary>
    Invalid,

    /// <summary>Refused by a rule of the portal's (in use by an active job, over the limit); nothing was called.</summary>
    Refused,

    /// <summary>No image of the caller's has that name or id.</summary>
    NotFound,

    /// <summary>The launcher or podman failed; the message is theirs.</summary>
    Failed,
}

/// <summary>What a pull or remove came to, in words for the person who asked.</summary>
/// <summary>What a pull or remove came to, in words for the person who asked. <paramref name="OverLimit"/>: after a
/// pull, the images take the owner's whole limit or more (the image stays; further pulls are refused).</summary>
public sealed record ImageChange(ImageOutcome Outcome, string Message, string? ImageId = null, bool OverLimit = false);

/// <summary>
/// A person's own image storage, through the launcher (docs/images.md): the pages, the API and so the command line all
/// come here, so they check and refuse the same way, and every pull and remove is audited.
/// </summary>
public sealed class ImageLibrary(
    ILauncher launcher, IImageLauncher images, JobStore jobs, QuotaStore quotas, AuditLog audit, IOptions<ImageOptions> options)
{
    // podman image rm's exit code for "image is in use by a container".
    private const int PodmanImageInUse = 2;

    public IReadOnlyList<string> Registries => [.. options.Value.Registries];

    /// <summary>The caller's images with their "used by" jobs; throws <see cref="LauncherException"/> when the launcher
    /// cannot list them.</summary>
    public async Task<ImageOverview> ListAsync(Guid ownerId, string linuxUser, CancellationToken cancellationToken)
    {
        var stored = await launcher.ImagesAsync(linuxUser, cancellationToken);
        var uses = await jobs.ListImageUseAsync(ownerId, cancellationToken);
        var mine = stored
            .OrderByDescending(i => i.Created ?? DateTimeOffset.MinValue)
            .Select(i => new MyImage(i.Id, i.Names, i.Size, i.Created,
                [.. uses.Where(u => ImageNames.Names(u.Image, i)).Select(u => new ImageJob(u.Id, u.Name, u.State))]))
            .ToList();
        long? limit = (await quotas.ResolveAsync(ownerId, cancellationToken)).MaxImageBytes;
        return new ImageOverview(mine, UseOf(stored), limit, Registries);
    }

    /// <summary>Why <paramref name="linuxUser"/> may add no image now (pull or build): their images take their whole
    /// image limit or more; null when they may. Throws <see cref="LauncherException"/> when the images cannot be listed.</summary>
    public async Task<string?> AtLimitAsync(Guid ownerId, string linuxUser, string adding, CancellationToken cancellationToken) =>
        await LimitAsync(ownerId, cancellationToken) is { } limit ? await AtLimitAsync(limit, linuxUser, adding, cancellationToken) : null;

    private async Task<string?> AtLimitAsync(long limit, string linuxUser, string adding, CancellationToken cancellationToken) =>
        await UseAsync(linuxUser, cancellationToken) is var use && use >= limit
            ? $"Your images take {ImageText.Size(use)} of your {ImageText.Size(limit)} limit: remove some before you {adding} another."
            : null;

    private async Task<long?> LimitAsync(Guid ownerId, CancellationToken cancellationToken) =>
        (await quotas.ResolveAsync(ownerId, cancellationToken)).MaxImageBytes;

    private async Task<long> UseAsync(string linuxUser, CancellationToken cancellationToken) =>
        UseOf(await launcher.ImagesAsync(linuxUser, cancellationToken));

    /// <summary>Pulls <paramref name="reference"/> into the caller's storage, after the same checks the launcher makes.</summary>
    public async Task<ImageChange> PullAsync(AuditActor actor, Guid ownerId, string linuxUser, string? reference, CancellationToken cancellationToken)
    {
        var change = await TryPullAsync(ownerId, linuxUser, reference, cancellationToken);
        await audit.WriteAsync(AuditActions.ImagePulled, actor, change.Outcome == ImageOutcome.Done, Printable(reference),
            change.Outcome == ImageOutcome.Done ? change.ImageId : change.Message, cancellationToken);
        return change;
    }

    /// <summary>Removes one of the caller's images, refused while a queued, starting or running job of theirs names it.</summary>
    public async Task<ImageChange> RemoveAsync(AuditActor actor, Guid ownerId, string linuxUser, string? reference, CancellationToken cancellationToken)
    {
        var change = await TryRemoveAsync(ownerId, linuxUser, reference, cancellationToken);
        await audit.WriteAsync(AuditActions.ImageRemoved, actor, change.Outcome == ImageOutcome.Done, Printable(reference), change.Message, cancellationToken);
        return change;
    }

    private async Task<ImageChange> TryPullAsync(Guid ownerId, string linuxUser, string? reference, CancellationToken cancellationToken)
    {
        reference = reference?.Trim();
        if (ImageRules.PullProblem(reference, options.Value.Registries) is { } problem)
        {
            return new ImageChange(ImageOutcome.Invalid, problem);
        }

        try
        {
            long? limit = await LimitAsync(ownerId, cancellationToken);
            if (limit is { } before && await AtLimitAsync(before, linuxUser, "pull", cancellationToken) is { } full)
            {
                return new ImageChange(ImageOutcome.Refused, full);
            }

            string id = await images.PullImageAsync(linuxUser, reference!, options.Value.PullTimeout, cancellationToken);
            // A pull may go past the limit (its size is known only once it is in): the image stays, the next pull is refused.
            if (limit is { } after && await UseAsync(linuxUser, cancellationToken) is var now && now >= after)
            {
                return new ImageChange(ImageOutcome.Done,
                    $"Pulled {reference}. Your images now take {ImageText.Size(now)} of your {ImageText.Size(after)} limit: you are over your limit, and no further pull is accepted until you remove some.",
                    id, OverLimit: true);
            }

            return new ImageChange(ImageOutcome.Done, $"Pulled {reference}.", id);
        }
        catch (LauncherException e)
        {
            return new ImageChange(ImageOutcome.Failed, $"The pull of {reference} failed: {e.Message}");
        }
    }

    private async Task<ImageChange> TryRemoveAsync(Guid ownerId, string linuxUser, string? reference, CancellationToken cancellationToken)
    {
        reference = reference?.Trim();
        if (ImageRules.RemoveProblem(reference) is { } problem)
        {
            return new ImageChange(ImageOutcome.Invalid, problem);
        }

        try
        {
            var stored = await launcher.ImagesAsync(linuxUser, cancellationToken);
            var image = stored.FirstOrDefault(i => ImageNames.Names(reference!, i));
            if (image is null)
            {
                return new ImageChange(ImageOutcome.NotFound, $"You have no image {reference}.");
            }

            var active = (await jobs.ListImageUseAsync(ownerId, cancellationToken))
                .Where(u => u.State is JobState.Queued or JobState.Starting or JobState.Running && ImageNames.Names(u.Image, image))
                .ToList();
            if (active.Count > 0)
            {
                string list = string.Join(", ", active.Select(u => $"{u.Id} ({u.Name}, {u.State.ToString().ToLowerInvariant()})"));
                return new ImageChange(ImageOutcome.Refused,
                    $"{reference} is in use by your job{(active.Count == 1 ? "" : "s")} {list}: wait for {(active.Count == 1 ? "it" : "them")} to end, or cancel {(active.Count == 1 ? "it" : "them")}, then remove the image.");
            }

            await images.RemoveImageAsync(linuxUser, reference!, cancellationToken);
            return new ImageChange(ImageOutcome.Done, $"Removed {reference}.");
        }
        catch (LauncherException e)
        {
            // podman image rm exits 2 when a container (an ended job's, kept for its log) still uses the image: a
            // refusal with podman's own words, not a failure.
            var outcome = e is { Failure: LauncherFailure.OperationFailed, ToolExitCode: PodmanImageInUse } ? ImageOutcome.Refused : ImageOutcome.Failed;
            return new ImageChange(outcome, $"{reference} was not removed: {e.Message}");
        }
    }

    /// <summary>The sum of the images' sizes. Podman reports each image's size with its shared layers, so two images
    /// on one base count the base twice: an upper bound on the disk they take.</summary>
    private static long UseOf(IEnumerable<ImageInfo> stored) => stored.Sum(i => i.Size ?? 0);

    private static string? Printable(string? reference) => reference is null ? null : UntrustedText.Printable(reference);
}

using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Verbs;

/// <summary>
/// <c>image-build</c>, as the user after the drop for good: checks the folder (<see cref="BuildContext"/>), runs
/// <c>podman build</c> with the launcher's configuration and fixed options (<see cref="PodmanArgs.Build"/>), relays its
/// log as it comes, and ends with the image id (<see cref="BuildFrame"/>). A build that fails, passes the policy's
/// <c>imageBuildTimeoutSeconds</c> or loses its caller leaves nothing behind: its processes are killed, its working
/// containers removed and the intermediate images it made (which no name points to) removed.
/// </summary>
internal static class ImageBuildVerb
{
    /// <summary>In the user's runtime directory: held while a build runs, so that the clean-up after a failed build
    /// can tell its own leftovers from another build's (one build per user at a time).</summary>
    public const string LockFile = "portal-image-build.lock";

    public static async Task<VerbResult> ExecuteAsync(UserCall call, PodmanSession podman)
    {
        LaunchContext ctx = call.Ctx;
        BuildSpec build = ctx.Request.Build!;
        string containerfile = BuildContext.Check(build, ctx.Policy, call.User);
        string reference = ImageBuildRules.LocalReference(build.Tag);
        using BuildLock held = BuildLock.Take(call);

        // The pause process first, from a call of its own: started by the build, it would be one of the build's orphans.
        ToolResult version = await call.RunAsync(podman, PodmanArgs.Version(podman.Command()));
        if (version.ExitCode != 0)
        {
            ctx.Audit.Failed($"podman version exited {version.ExitCode}");
            return VerbResult.ToolFailed("podman version", version);
        }

        HashSet<string> containersBefore = await IdsAsync(call, podman, PodmanArgs.AllContainerIds(podman.Command()));
        HashSet<string> imagesBefore = await IdsAsync(call, podman, PodmanArgs.AllImageIds(podman.Command()));
        BuildOrphans.BecomeSubreaper();

        List<string> argv = PodmanArgs.Build(podman.Command(), containerfile, reference, build.Context);
        ctx.Audit.Accepted(ContainerVerbs.Describe(argv));
        BuildOutcome outcome = ToolProcess.StreamBuild(argv, podman.Environment(call.User, call.RuntimeDir), call.User.Home,
            TimeSpan.FromSeconds(ctx.Policy.ImageBuildTimeoutSeconds));

        if (outcome.ExitCode == 0 && outcome.LastStdoutLine is { } last && ImageRules.IsImageId(last.Trim()))
        {
            WriteImageId(last.Trim());
            ctx.Audit.Done($"built {reference} {last.Trim()}");
            return VerbResult.Success(new LauncherResponse { ImageId = last.Trim() });
        }

        string cleaned = await CleanUpAsync(call, podman, containersBefore, imagesBefore);
        if (outcome.TimedOut)
        {
            ctx.Audit.Failed($"podman build timed out; {cleaned}");
            return new VerbResult(LauncherExitCodes.ToolTimedOut, new LauncherResponse
            {
                Error = $"The build did not finish within {ctx.Policy.ImageBuildTimeoutSeconds} s (the policy's imageBuildTimeoutSeconds): it was killed and {cleaned}.",
            });
        }

        if (outcome.ExitCode is null)
        {
            ctx.Audit.Done($"caller hung up; build ended, {cleaned}");
            return new VerbResult(LauncherExitCodes.OperationFailed, new LauncherResponse { Error = $"The caller left: the build was ended and {cleaned}." });
        }

        ctx.Audit.Failed($"podman build exited {outcome.ExitCode}; {cleaned}");
        return new VerbResult(LauncherExitCodes.OperationFailed, new LauncherResponse
        {
            Error = Explain(outcome) + $" ({cleaned})",
            ToolExitCode = outcome.ExitCode,
        });
    }

    /// <summary>What went wrong, in words: a missing base is the usual one, since a build never pulls.</summary>
    private static string Explain(BuildOutcome outcome)
    {
        string last = UntrustedText.Printable(outcome.LastStderrLine ?? "").Trim();
        if (last.Contains("image not known", StringComparison.Ordinal) || last.Contains("pull policy is \"never\"", StringComparison.Ordinal))
        {
            return "The base image is not in your image storage, and a build never pulls: pull it (or build it) first. podman said: " + last;
        }

        return outcome.ExitCode == 0
            ? "podman build ended without printing the image id."
            : $"podman build exited {outcome.ExitCode}: {(last.Length > 0 ? last : "see the build log")}";
    }

    private static void WriteImageId(string id)
    {
        using Stream output = StandardStreams.OpenOutput();
        ToolProcess.WriteFrame(output, BuildFrame.ImageIdLetter, System.Text.Encoding.ASCII.GetBytes(id));
    }

    /// <summary>Kills what the build left running, then removes the containers and the unnamed images that appeared
    /// since it began. Says what it did, for the error and the audit log.</summary>
    private static async Task<string> CleanUpAsync(UserCall call, PodmanSession podman, HashSet<string> containersBefore, HashSet<string> imagesBefore)
    {
        int killed = 0;
        for (int round = 0; round < 10; round++)
        {
            BuildOrphans.ReapExited();
            List<int> orphans = BuildOrphans.Children();
            if (orphans.Count == 0)
            {
                break;
            }

            killed += orphans.Count;
            if (BuildOrphans.KillDirect(orphans) is { Count: > 0 } others)
            {
                await call.RunAsync(podman, PodmanArgs.KillInUserNamespace(podman.Command(), others));
            }

            await Task.Delay(100);
        }

        BuildOrphans.ReapExited();
        List<string> containers = [.. (await IdsAsync(call, podman, PodmanArgs.AllContainerIds(podman.Command()))).Except(containersBefore)];
        if (containers.Count > 0)
        {
            await call.RunAsync(podman, PodmanArgs.RemoveContainers(podman.Command(), containers));
        }

        // Children before parents: each pass removes the images nothing depends on any more.
        int images = 0;
        for (int pass = 0; pass < 8; pass++)
        {
            List<string> dangling = [.. (await IdsAsync(call, podman, PodmanArgs.DanglingImageIds(podman.Command()))).Except(imagesBefore)];
            if (dangling.Count == 0)
            {
                break;
            }

            ToolResult removed = await call.RunAsync(podman, PodmanArgs.RemoveImages(podman.Command(), dangling));
            int left = (await IdsAsync(call, podman, PodmanArgs.DanglingImageIds(podman.Command()))).Except(imagesBefore).Count();
            images += dangling.Count - left;
            if (removed.ExitCode == 0 || left == dangling.Count)
            {
                break;
            }
        }

        return $"{killed} leftover process(es) killed, {containers.Count} working container(s) and {images} intermediate image(s) removed";
    }

    private static async Task<HashSet<string>> IdsAsync(UserCall call, PodmanSession podman, List<string> argv)
    {
        ToolResult result = await call.RunAsync(podman, argv);
        if (result.ExitCode != 0)
        {
            // Listing the storage is what podman version just did: should it fail now, so would the build.
            call.Ctx.Audit.Failed("podman listing failed: " + ContainerVerbs.Describe(argv));
            throw new ToolTimeoutOrFailure(result.TimedOut
                ? VerbResult.TimedOut("podman (listing the storage)", call.Ctx.Policy.PodmanTimeoutSeconds, null)
                : VerbResult.ToolFailed("podman (listing the storage)", result));
        }

        return [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    /// <summary>One build per user at a time: an exclusive lock on a file in the user's runtime directory, taken as the
    /// user. Without a runtime directory (dev mode before the first podman call) there is nothing to share it in.</summary>
    private sealed unsafe class BuildLock : IDisposable
    {
        private readonly int _fd;

        private BuildLock(int fd) => _fd = fd;

        public static BuildLock Take(UserCall call)
        {
            if (call.RuntimeDir is null)
            {
                return new BuildLock(-1);
            }

            int fd = SafeFiles.WithPath(call.RuntimeDir + "/" + LockFile, p => open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0x180 /* 0600 */));
            if (fd < 0)
            {
                throw new RequestRefusedException($"Cannot open {call.RuntimeDir}/{LockFile} as {call.User.Name} (errno {errno}).");
            }

            if (Glibc.flock(fd, Glibc.LOCK_EX | Glibc.LOCK_NB) != 0)
            {
                _ = close(fd);
                throw new RequestRefusedException("Another image build of yours is running: one at a time. Try again when it has finished.");
            }

            return new BuildLock(fd);
        }

        public void Dispose()
        {
            if (_fd >= 0)
            {
                _ = close(_fd);
            }
        }
    }
}

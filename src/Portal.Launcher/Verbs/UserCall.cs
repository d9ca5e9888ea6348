using Portal.Launcher.Cgroups;
using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Verbs;

/// <summary>
/// One request's user and the means to act for them: their account and runtime directory, podman's root-owned
/// configuration, and (privileged, on a host with cgroups) their part of the launcher's cgroup tree.
/// </summary>
internal sealed class UserCall
{
    private bool _dropped;

    private UserCall(LaunchContext ctx, UserAccount user, string? runtimeDir, string configDir, UserCgroups? cgroups)
    {
        Ctx = ctx;
        User = user;
        RuntimeDir = runtimeDir;
        ConfigDir = configDir;
        Cgroups = cgroups;
    }

    public LaunchContext Ctx { get; }

    public UserAccount User { get; }

    public string? RuntimeDir { get; }

    public string ConfigDir { get; }

    /// <summary>Null in dev mode (an unprivileged launcher can make no cgroup) and on a host without cgroups.</summary>
    public UserCgroups? Cgroups { get; }

    public JobCgroup? JobCgroup => Cgroups is { } c && Ctx.Request.Job is { } job ? c.Job(job) : null;

    /// <summary>Resolves the user and does the root steps every podman call needs: the runtime directory, podman's
    /// configuration, and the user's cgroups (the launcher moves into the user's <c>calls</c> cgroup where it runs podman).</summary>
    public static UserCall Open(LaunchContext ctx)
    {
        UserAccount user = UserResolver.Resolve(ctx.Request.User!, ctx.Policy, ctx.Privileged ? null : ctx.CallerUid,
            UserDatabase.FindUser, UserDatabase.FindGroupId);
        string? runtimeDir = null;
        if (ctx.Privileged)
        {
            runtimeDir = RuntimeDirectory.Ensure(user);
        }
        else if (Directory.Exists(RuntimeDirectory.PathFor(user.Uid)))
        {
            runtimeDir = RuntimeDirectory.PathFor(user.Uid);
        }

        string configDir = PodmanConfigFiles.Ensure(ctx.Policy, ctx.Privileged ? 0 : ctx.CallerUid);
        UserCgroups? cgroups = null;
        if (ctx.Privileged && CgroupHost.Detect() is { Mode: not CgroupMode.None } host)
        {
            cgroups = new UserCgroups(host, ctx.Policy.CgroupParent, user);
            cgroups.Ensure();

            // Every podman call that starts no job runs from calls. A run or app-up enters calls only when it must start podman
            // there first (the pause process), and release runs no podman: moving a process between cgroups costs.
            if (ctx.Request.Verb is not (Protocol.LauncherVerbs.Run or Protocol.LauncherVerbs.AppUp or Protocol.LauncherVerbs.Release))
            {
                cgroups.EnterCalls();
            }
        }

        return new UserCall(ctx, user, runtimeDir, configDir, cgroups);
    }

    /// <summary>Runs <paramref name="action"/> with the user's rights: effective ids while the launcher is root, else as is.</summary>
    public T AsUser<T>(Func<T> action) => Ctx.Privileged && !_dropped ? Privileges.AsUser(User, action) : action();

    /// <summary>podman for this user, the storage driver read from the user's storage with the user's rights.</summary>
    public PodmanSession Podman() => new(Ctx.Policy, ConfigDir, AsUser(() => UserStorage.DriverOf(User.Home, Ctx.Policy.StorageDriver)));

    /// <summary>
    /// Runs a podman call as the user while the launcher stays what it is (root supervising, starting podman as the user
    /// for good; or the user already, after the drop or in dev mode). Every call has the policy's deadline on top of
    /// <paramref name="extra"/>.
    /// </summary>
    public Task<ToolResult> RunAsync(PodmanSession podman, List<string> argv, TimeSpan extra = default, Action? started = null) =>
        ToolProcess.RunAsync(argv, podman.Environment(User, RuntimeDir), User.Home, podman.Deadline + extra, started,
            asUser: Ctx.Privileged && !_dropped ? User : null);

    /// <summary>Enters the home with the user's rights (podman's working directory), refusing a user who cannot.</summary>
    public void EnterHomeAsUser() => AsUser(() =>
    {
        EnterHome();
        return 0;
    });

    /// <summary>For verbs that need no root after podman: becomes the user for good (or proves it already is).</summary>
    public void DropForGood()
    {
        if (_dropped)
        {
            return;
        }

        _dropped = true;
        if (Ctx.Privileged)
        {
            Privileges.DropTo(User);
        }
        else
        {
            Privileges.VerifyIsOnly(User);
        }

        // After the drop: the home is entered with the user's own rights.
        EnterHome();
    }

    /// <summary>Enters the home with the current rights (call it as the user).</summary>
    public void EnterHome()
    {
        try
        {
            Directory.SetCurrentDirectory(User.Home);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RequestRefusedException($"Cannot enter the home directory {User.Home} as {User.Name}: {e.Message}");
        }
    }
}

using System.Globalization;
using System.Text;
using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;
using Portal.Launcher.Verbs;

namespace Portal.Launcher.Slurm;

/// <summary>
/// The Slurm verbs. Each checks that the policy's Slurm tools are root's, resolves the user, drops to them for good,
/// and only then runs a tool: Slurm sees the request come from the user's own uid (munge vouches for it), never from
/// root or the portal, and refuses on its own anything that is not theirs.
/// </summary>
internal static class SlurmVerbs
{
    public static async Task<VerbResult> ExecuteAsync(LaunchContext ctx)
    {
        LauncherRequest r = ctx.Request;
        SlurmPolicy slurm = ctx.Policy.Slurm!;
        CheckTrustedTools(slurm, r.Verb, ctx.Privileged ? 0 : ctx.CallerUid);
        UserAccount user = UserResolver.Resolve(r.User!, ctx.Policy, ctx.Privileged ? null : ctx.CallerUid,
            UserDatabase.FindUser, UserDatabase.FindGroupId);
        if (ctx.Privileged)
        {
            Privileges.DropTo(user);
        }
        else
        {
            Privileges.VerifyIsOnly(user);
        }

        try
        {
            Directory.SetCurrentDirectory(user.Home);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RequestRefusedException($"Cannot enter the home directory {user.Home} as {user.Name}: {e.Message}");
        }

        Dictionary<string, string> env = SlurmArgs.Environment(user, slurm);
        return r.Verb switch
        {
            LauncherVerbs.SlurmSubmit => await SubmitAsync(ctx, slurm, user, env),
            LauncherVerbs.SlurmCancel => await CancelAsync(ctx, slurm, user, env),
            LauncherVerbs.SlurmConnect => await ConnectAsync(ctx, slurm, user, env),
            _ => Log(ctx, slurm, user, env),
        };
    }

    /// <summary>The tools (and the configuration they read) must be ones only root could have put there, exactly as
    /// podman must: the user's uid runs them, but the launcher chose them.</summary>
    private static void CheckTrustedTools(SlurmPolicy slurm, string verb, uint trustedOwner)
    {
        IEnumerable<string> tools = verb switch
        {
            LauncherVerbs.SlurmSubmit => [slurm.Sbatch],
            LauncherVerbs.SlurmCancel => [slurm.Squeue, slurm.Scancel],
            LauncherVerbs.SlurmConnect => [slurm.Squeue, slurm.Srun],
            _ => [slurm.Tail],
        };
        foreach (string path in slurm.Config is { } config ? tools.Append(config) : tools)
        {
            SafeFiles.CheckTrustedExecutable(path, trustedOwner);
        }
    }

    private static async Task<VerbResult> SubmitAsync(LaunchContext ctx, SlurmPolicy slurm, UserAccount user, Dictionary<string, string> env)
    {
        LauncherRequest r = ctx.Request;
        string job = r.Job!;
        string outputDirectory = SlurmFiles.EnsureOutputDirectory(user);
        string token = SlurmFiles.NewToken();
        // Every environment file written, deleted again unless the job was submitted (its script deletes them).
        var envFiles = new List<string>();
        string? WriteEnv(IReadOnlyDictionary<string, string>? variables, string? service)
        {
            if (variables is not { Count: > 0 })
            {
                return null;
            }

            envFiles.Add(SlurmFiles.WriteEnvFile(variables, outputDirectory, job, token, service));
            return envFiles[^1];
        }

        try
        {
            string script;
            List<string> argv;
            if (r.App is { } app)
            {
                // Every service's bind sources are checked before anything is written.
                List<IReadOnlyList<(string Source, string Target, bool ReadOnly)>> mounts =
                    [.. app.Services.Select(s => (IReadOnlyList<(string, string, bool)>)MountChecker.Check(s.Run.Mounts, ctx.Policy, user))];
                List<string?> services = [.. app.Services.Select(s => WriteEnv(s.Run.Env, s.Name))];
                script = AppBatchScript.Generate(job, app, user.Name, ctx.Policy, services, mounts, outputDirectory);
                (double? cpus, long? memory) = SlurmRequestRules.AppTotals(app);
                argv = SlurmArgs.Sbatch(slurm, job, cpus, memory, r.Slurm!, user, envFiles.Count > 0 ? token : null);
            }
            else
            {
                RunSpec run = r.Run!;
                var mounts = MountChecker.Check(run.Mounts, ctx.Policy, user);
                script = BatchScript.Generate(job, run, user.Name, ctx.Policy, WriteEnv(run.Env, null), mounts);
                argv = SlurmArgs.Sbatch(slurm, job, run.Cpus, run.MemoryMiB, r.Slurm!, user, envFiles.Count > 0 ? token : null);
            }

            ctx.Audit.Accepted(Describe(argv) + " < batch script of " + script.Length.ToString(CultureInfo.InvariantCulture) + " bytes");
            ToolResult result = await ToolProcess.RunWithInputAsync(argv, env, user.Home, Encoding.UTF8.GetBytes(script), Deadline(ctx));

            // sbatch --parsable prints "id" or "id;cluster". An id on stdout means the job exists, whatever the exit
            // code and stderr say, so it is reported (stderr as warnings) rather than left as an orphan.
            long? id = ParseJobId(result.Stdout);
            if (id is null && result.TimedOut)
            {
                // sbatch retries for minutes while slurmctld does not answer; the portal hears of it in time instead.
                ctx.Audit.Failed("sbatch timed out");
                return VerbResult.TimedOut("sbatch", ctx.Policy.PodmanTimeoutSeconds, null);
            }

            if (id is null)
            {
                ctx.Audit.Failed($"sbatch exited {result.ExitCode} without a job id: {VerbResult.Summarize(result.Stderr)}");
                return result.ExitCode != 0
                    ? VerbResult.ToolFailed("sbatch", result)
                    : VerbResult.ToolFailed("sbatch", result with { ExitCode = 1, Stderr = "no job id in its output: " + result.Stdout + result.Stderr });
            }

            envFiles.Clear();
            string[] warnings = Lines(result.Stderr);
            ctx.Audit.Done("submitted Slurm job " + id.Value.ToString(CultureInfo.InvariantCulture));
            return VerbResult.Success(new LauncherResponse { SlurmJobId = id, Warnings = warnings.Length > 0 ? warnings : null });
        }
        finally
        {
            // Not submitted: nothing will read them.
            envFiles.ForEach(File.Delete);
        }
    }

    private static async Task<VerbResult> CancelAsync(LaunchContext ctx, SlurmPolicy slurm, UserAccount user, Dictionary<string, string> env)
    {
        LauncherRequest r = ctx.Request;
        long id = r.Slurm!.JobId!.Value;
        (VerbResult? failed, string[]? fields) = await OwnJobAsync(ctx, slurm, user, env, id);
        if (failed is not null)
        {
            return failed;
        }

        if (fields is null)
        {
            // Slurm forgot the job (it ended more than MinJobAge ago) or never shows it to this user: nothing to stop.
            ctx.Audit.Done($"Slurm job {id} is unknown to Slurm; nothing to cancel");
            return VerbResult.Success(new LauncherResponse { SlurmJobId = id, Warnings = [$"Slurm no longer knows job {id}."] });
        }

        string state = fields[2];
        if (state is not ("PENDING" or "RUNNING" or "SUSPENDED" or "CONFIGURING" or "REQUEUED" or "REQUEUE_HOLD" or "REQUEUE_FED"
            or "RESIZING" or "SIGNALING" or "STAGE_OUT" or "STOPPED" or "COMPLETING"))
        {
            ctx.Audit.Done($"Slurm job {id} already ended ({UntrustedText.Printable(state)})");
            return VerbResult.Success(new LauncherResponse { SlurmJobId = id, Warnings = [$"Slurm job {id} already ended ({state})."] });
        }

        List<string> argv = SlurmArgs.Scancel(slurm, user.Name, r.Job!, id);
        ctx.Audit.Accepted(Describe(argv));
        ToolResult cancelled = await ToolProcess.RunAsync(argv, env, user.Home, Deadline(ctx));
        if (cancelled.ExitCode != 0 || cancelled.Stderr.Trim().Length > 0)
        {
            ctx.Audit.Failed($"scancel exited {cancelled.ExitCode}: {VerbResult.Summarize(cancelled.Stderr)}");
            return VerbResult.ToolFailed("scancel", cancelled with { ExitCode = cancelled.ExitCode == 0 ? 1 : cancelled.ExitCode });
        }

        if (state == "PENDING")
        {
            // The batch script never ran, so it never deleted the job's environment file.
            SlurmFiles.DeleteEnvFile(user, r.Job!, fields[3]);
        }

        ctx.Audit.Done($"cancelled Slurm job {id} ({UntrustedText.Printable(state)})");
        return VerbResult.Success(new LauncherResponse { SlurmJobId = id });
    }

    /// <summary>
    /// Relays the caller's bytes to a running session's app on its node, as the user: <c>srun --overlap</c> adds a
    /// step to the user's own job (Slurm refuses a step in anyone else's), and the node's sockbridge connects that
    /// step's stdin and stdout to the app's socket in the job's session folder. Nothing listens on the node's network;
    /// the bytes travel through Slurm's own channel, authenticated by munge as the user's uid.
    /// </summary>
    private static async Task<VerbResult> ConnectAsync(LaunchContext ctx, SlurmPolicy slurm, UserAccount user, Dictionary<string, string> env)
    {
        long id = ctx.Request.Slurm!.JobId!.Value;
        (VerbResult? failed, string[]? fields) = await OwnJobAsync(ctx, slurm, user, env, id);
        if (failed is not null)
        {
            return failed;
        }

        if (fields is null || fields[2] != "RUNNING")
        {
            RequestValidator.Refuse($"Slurm job {id} is {(fields is null ? "unknown to Slurm" : UntrustedText.Printable(fields[2]))}, not running: its app cannot be reached.");
        }

        string socket = SlurmNames.NodeSessionFolder(user.Uid, id) + "/" + SessionRules.SocketName;
        List<string> argv = SlurmArgs.Connect(slurm, id, socket);
        ctx.Audit.Accepted(Describe(argv));
        // From here on stdout is the app's: the caller waits for this line before it sends the first byte.
        SafeFiles.WriteAll(1, Encoding.UTF8.GetBytes(LauncherProtocol.ConnectedLine + "\n"));
        int? exitCode = ToolProcess.Relay(argv, env);
        ctx.Audit.Done(exitCode is null ? "caller hung up; relay ended" : $"relay exited {exitCode}");
        return new VerbResult(exitCode ?? LauncherExitCodes.Ok, new LauncherResponse());
    }

    /// <summary>
    /// Slurm's word on job <paramref name="id"/>, asked as the user: its uid, name, state and comment, after checking
    /// that it is this user's job of this portal job. Fields null when Slurm does not know the job (any more).
    /// </summary>
    private static async Task<(VerbResult? Failed, string[]? Fields)> OwnJobAsync(LaunchContext ctx, SlurmPolicy slurm, UserAccount user, Dictionary<string, string> env, long id)
    {
        string jobName = SlurmNames.JobName(ctx.Request.Job!);
        List<string> query = SlurmArgs.OwnerQuery(slurm, id);
        ctx.Audit.Accepted(Describe(query));
        ToolResult owner = await ToolProcess.RunAsync(query, env, user.Home, Deadline(ctx));
        if (owner.Stderr.Contains("Invalid job id specified", StringComparison.Ordinal) || (owner.ExitCode == 0 && owner.Stdout.Trim().Length == 0 && owner.Stderr.Trim().Length == 0))
        {
            return (null, null);
        }

        // Slurm tools can exit 0 after a failure and say so only on stderr: both must be clean.
        if (owner.ExitCode != 0 || owner.Stderr.Trim().Length > 0)
        {
            ctx.Audit.Failed($"squeue exited {owner.ExitCode}: {VerbResult.Summarize(owner.Stderr)}");
            return (VerbResult.ToolFailed("squeue", owner with { ExitCode = owner.ExitCode == 0 ? 1 : owner.ExitCode }), null);
        }

        string[] fields = owner.Stdout.TrimEnd('\n').Split(SlurmArgs.UnitSeparator);
        if (fields.Length != 4 || owner.Stdout.TrimEnd('\n').Contains('\n', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"squeue answered something other than one job: {VerbResult.Summarize(owner.Stdout)}");
        }

        if (fields[0] != user.Uid.ToString(CultureInfo.InvariantCulture) || fields[1] != jobName)
        {
            RequestValidator.Refuse($"Slurm job {id} is '{UntrustedText.Printable(fields[1])}' of uid {UntrustedText.Printable(fields[0])}, not {jobName} of {user.Name}.");
        }

        return (null, fields);
    }

    private static VerbResult Log(LaunchContext ctx, SlurmPolicy slurm, UserAccount user, Dictionary<string, string> env)
    {
        LauncherRequest r = ctx.Request;
        long id = r.Slurm!.JobId!.Value;
        // An app's service has a file of its own (its name was validated: [a-z0-9-], no path).
        string file = r.Logs?.Service is { } service ? SlurmNames.ServiceOutputFile(r.Job!, id, service) : SlurmNames.OutputFile(r.Job!, id);
        string path = Path.Combine(user.Home, SlurmNames.OutputDirectory, file);
        if (r.Logs?.Follow != true && !File.Exists(path))
        {
            // A job that has not started yet has no output.
            ctx.Audit.Done("no output file yet");
            return new VerbResult(LauncherExitCodes.Ok, new LauncherResponse());
        }

        List<string> argv = SlurmArgs.Tail(slurm, path, r.Logs);
        ctx.Audit.Accepted(Describe(argv));
        // A followed stream lasts as long as the job; the caller ends it early. Any other read has the deadline.
        bool follow = r.Logs?.Follow == true;
        int? exitCode = ToolProcess.Stream(argv, env, untilStdinCloses: r.Logs?.UntilStdinCloses == true, deadline: follow ? null : Deadline(ctx), out bool timedOut);
        if (timedOut)
        {
            ctx.Audit.Failed("tail timed out");
            return VerbResult.TimedOut("tail", ctx.Policy.PodmanTimeoutSeconds, null);
        }

        ctx.Audit.Done(exitCode is null ? "caller hung up; tail ended" : $"tail exited {exitCode}");
        return new VerbResult(exitCode ?? LauncherExitCodes.Ok, new LauncherResponse());
    }

    /// <summary>Every Slurm tool gets the deadline podman gets: a slurmctld that does not answer never holds the portal.</summary>
    private static TimeSpan Deadline(LaunchContext ctx) => TimeSpan.FromSeconds(ctx.Policy.PodmanTimeoutSeconds);

    /// <summary>The job id from sbatch --parsable ("id" or "id;cluster"), or null.</summary>
    internal static long? ParseJobId(string stdout)
    {
        string first = stdout.Trim().Split('\n')[0].Split(';')[0].Trim();
        return long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && id > 0 ? id : null;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Describe(List<string> argv) => string.Join(' ', argv.Select(UntrustedText.Printable));
}

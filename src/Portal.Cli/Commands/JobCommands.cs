using System.CommandLine;
using System.Globalization;
using Portal.Api.Contracts;
using Portal.Cli.Output;

namespace Portal.Cli.Commands;

/// <summary><c>portal jobs</c>, <c>portal show ID</c>, <c>portal logs [-f] [-t] ID</c>, <c>portal cancel ID</c>.</summary>
internal static class JobCommands
{
    public static Command Jobs()
    {
        var states = new Option<string[]>("--state", "-s")
        {
            Description = "Only jobs in these states: " + string.Join(", ", JobStates.All),
            AllowMultipleArgumentsPerToken = true,
        };
        var limit = new Option<int>("--limit", "-n") { Description = "At most this many (1 to 500, default 50)", DefaultValueFactory = _ => 50 };
        var skip = new Option<int>("--skip") { Description = "Skip this many of the newest first", DefaultValueFactory = _ => 0 };
        var all = new Option<bool>("--all-users") { Description = "Everyone's jobs (needs an admin token)" };
        var command = new Command("jobs", "List your jobs, newest first") { states, limit, skip, all };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var page = await api.ListJobsAsync(parse.GetValue(states) ?? [], parse.GetValue(skip), parse.GetValue(limit), parse.GetValue(all), cancellationToken);
            if (output.Json)
            {
                output.WriteJson(page);
                return ExitCodes.Ok;
            }

            var table = new TextTable("ID", "NAME", "OWNER", "STATE", "GPUS", "SUBMITTED (UTC)", "EXIT");
            foreach (var job in page.Items)
            {
                table.Add(Id(job.Id), job.Name, job.Owner, job.PendingReason is { } reason ? $"{job.State}({reason})" : job.State,
                    Formats.Number(job.Gpus), Formats.Time(job.SubmittedAt), job.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-");
            }

            table.WriteTo(output.Out);
            if (page.Total > page.Skip + page.Items.Count)
            {
                output.Err.WriteLine($"({page.Items.Count} of {page.Total}; see more with --skip {page.Skip + page.Items.Count})");
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    public static Command Show()
    {
        var id = JobId();
        var command = new Command("show", "One job in full, with its history") { id };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var job = await api.GetJobAsync(parse.GetValue(id), cancellationToken);
            if (output.Json)
            {
                output.WriteJson(job);
                return ExitCodes.Ok;
            }

            var w = output.Out;
            w.WriteLine($"Job {Id(job.Id)}: {job.Name}");
            w.WriteLine($"  State:     {job.State}{(job.PendingReasonText is { } why ? " (" + why + ")" : "")}");
            w.WriteLine($"  Owner:     {job.Owner}");
            w.WriteLine($"  Image:     {job.Image}");
            w.WriteLine($"  Command:   {(job.Command.Count == 0 ? "(the image's default)" : string.Join(' ', job.Command.Select(Quote)))}");
            w.WriteLine($"  GPUs:      {(job.AssignedGpus.Count > 0 ? string.Join(", ", job.AssignedGpus) : Formats.Number(job.Gpus) + " requested")}");
            w.WriteLine($"  CPUs:      {Formats.Number(job.Cpus)}   Memory: {Formats.Number(job.MemoryMiB)} MiB   Walltime: {Formats.Number(job.WalltimeMinutes)} min");
            w.WriteLine($"  Submitted: {Formats.Time(job.SubmittedAt)}   Started: {Formats.Time(job.StartedAt)}   Finished: {Formats.Time(job.FinishedAt)}");
            if (job.Restartable || job.Attempts > 1)
            {
                w.WriteLine($"  Restartable: {(job.Restartable ? "yes" : "no")}   Attempts: {Formats.Number(job.Attempts)}");
            }

            w.WriteLine($"  Exit code: {job.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-"}   GPU-hours: {Formats.Number(job.GpuHours, "0.00")}");
            if (job.Usage is { } usage)
            {
                w.WriteLine($"  Used:      CPU {Formats.Number(usage.CpuSeconds, "0.0")} s   Peak memory: {Formats.MiB(usage.PeakMemoryBytes)}   OOM kills: {Formats.Number(usage.OomKills)}");
            }

            if (job.Backend is { Kind: "slurm" } slurm)
            {
                w.WriteLine($"  Slurm:     job {slurm.JobId ?? "-"}   state {slurm.State ?? "-"}{(slurm.Reason is { } word ? " (" + word + ")" : "")}   node {slurm.Nodes ?? "-"}");
            }

            w.WriteLine("  History:");
            foreach (var change in job.History)
            {
                w.WriteLine($"    {Formats.Time(change.At)}  {change.State}{(change.Detail is { } d ? "  " + d : "")}");
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    public static Command Logs()
    {
        var id = JobId();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep streaming until the job ends; exit with the job's exit code. Ctrl-C detaches." };
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Put each line's time (UTC) before it." };
        var command = new Command("logs", "A job's output, stdout and stderr in order") { id, follow, timestamps };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            if (parse.GetValue(follow))
            {
                return await JobFollower.FollowAsync(api, parse.GetValue(id), output, cancellationToken, parse.GetValue(timestamps));
            }

            await using var stream = await api.OpenLogsAsync(parse.GetValue(id), follow: false, offset: 0, cancellationToken, parse.GetValue(timestamps));
            await stream.CopyToAsync(Console.OpenStandardOutput(), cancellationToken);
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    public static Command Cancel()
    {
        var id = JobId();
        var command = new Command("cancel", "Withdraw a queued job or stop a running one") { id };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var job = await api.CancelJobAsync(parse.GetValue(id), cancellationToken);
            if (output.Json)
            {
                output.WriteJson(job);
            }
            else
            {
                output.Out.WriteLine($"Job {Id(job.Id)} is {job.State}.");
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    private static Argument<long> JobId() => new("id") { Description = "The job's id" };

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c, StringComparison.Ordinal))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

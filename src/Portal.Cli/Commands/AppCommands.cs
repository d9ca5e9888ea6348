using System.CommandLine;
using System.Globalization;
using Portal.Api.Contracts;
using Portal.Cli.Output;

namespace Portal.Cli.Commands;

/// <summary>
/// <c>portal app up -f compose.yaml</c> shows what the portal understood (services in start order, images, GPUs,
/// mounts) and queues the app, printing its id; <c>--dry-run</c> stops after the review. A refused file prints each
/// problem with its line and exits 1. <c>portal app show|logs|export ID</c> read an app; <c>portal cancel ID</c> stops it.
/// </summary>
internal static class AppCommands
{
    public static Command Create()
    {
        var app = new Command("app", "Multi-container apps from a compose file or a Kubernetes Pod");
        app.Subcommands.Add(Up());
        app.Subcommands.Add(Show());
        app.Subcommands.Add(Logs());
        app.Subcommands.Add(Export());
        return app;
    }

    private static Command Up()
    {
        var file = new Option<FileInfo>("--file", "-f") { Description = "The compose file or Pod (- reads stdin)", Required = true };
        var name = new Option<string?>("--name") { Description = "A label for the app (default: the file's name, else 'app')" };
        var walltime = new Option<int?>("--walltime") { Description = "Longest run time in minutes (default 60)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what the portal understood; start nothing" };
        var up = new Command("up", "Review and queue an app") { file, name, walltime, dryRun };
        up.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var path = parse.GetValue(file)!;
            string text;
            try
            {
                text = path.Name == "-" ? await Console.In.ReadToEndAsync(cancellationToken) : await File.ReadAllTextAsync(path.FullName, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                output.Error($"cannot read {path}: {e.Message}");
                return ExitCodes.Usage;
            }

            var request = new AppRequest { File = text, Name = parse.GetValue(name), WalltimeMinutes = parse.GetValue(walltime) };
            var review = await api.ReviewAppAsync(request, cancellationToken);
            if (!review.Valid)
            {
                if (output.Json)
                {
                    output.WriteJson(review);
                }

                foreach (var problem in review.Problems)
                {
                    output.Error(problem.Line > 0 ? $"{path.Name}:{problem.Line}: {problem.Key}: {problem.Message}" : $"{path.Name}: {problem.Message}");
                }

                return ExitCodes.Refused;
            }

            WritePlan(review, output.Err);
            if (parse.GetValue(dryRun))
            {
                if (output.Json)
                {
                    output.WriteJson(review);
                }

                return ExitCodes.Ok;
            }

            var submitted = await api.SubmitAppAsync(request, cancellationToken);
            if (output.Json)
            {
                output.WriteJson(submitted);
            }
            else
            {
                output.Out.WriteLine(submitted.Id.ToString(CultureInfo.InvariantCulture));
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return up;
    }

    /// <summary>The review, for a person: one line per service in start order (on stderr, so stdout is the id alone).</summary>
    public static void WritePlan(AppReviewResponse review, TextWriter to)
    {
        ArgumentNullException.ThrowIfNull(review);
        ArgumentNullException.ThrowIfNull(to);
        var table = new TextTable("SERVICE", "IMAGE", "GPUS", "CPUS", "MEMORY", "AFTER", "MOUNTS");
        foreach (var s in review.Services)
        {
            table.Add(s.Name, s.Image, s.Gpus.ToString(CultureInfo.InvariantCulture), s.Cpus.ToString("0.##", CultureInfo.InvariantCulture),
                s.MemoryMiB.ToString(CultureInfo.InvariantCulture) + " MiB", s.DependsOn.Count == 0 ? "-" : string.Join(",", s.DependsOn),
                s.Mounts.Count == 0 ? "-" : string.Join("; ", s.Mounts));
        }

        table.WriteTo(to);
        var total = string.Create(CultureInfo.InvariantCulture, $"total: {review.Gpus} GPUs, {review.Cpus:0.##} CPUs, {review.MemoryMiB} MiB");
        to.WriteLine(review.WebFront is { } web ? total + "; web front " + web : total);
    }

    private static Command Show()
    {
        var id = new Argument<long>("id") { Description = "The app's job id" };
        var show = new Command("show", "An app's state and its services") { id };
        show.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var app = await api.GetAppAsync(parse.GetValue(id), cancellationToken);
            if (output.Json)
            {
                output.WriteJson(app);
                return ExitCodes.Ok;
            }

            output.Out.WriteLine($"app {app.Id} ({app.Name}): {app.State}");
            if (app.WebPath is { } web)
            {
                // Served to the owner while the app runs; relative to the portal (or to its sessions' origin when set).
                output.Out.WriteLine($"web front {app.WebFront}: {api.BaseAddress}{web.TrimStart('/')}");
            }

            var table = new TextTable("SERVICE", "STATE", "EXIT");
            foreach (var s in app.Services)
            {
                table.Add(s.Service, s.State ?? "-", s.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-");
            }

            table.WriteTo(output.Out);
            return ExitCodes.Ok;
        }, cancellationToken));
        return show;
    }

    private static Command Logs()
    {
        var id = new Argument<long>("id") { Description = "The app's job id" };
        var service = new Argument<string>("service") { Description = "The service whose log to show" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep streaming until the service ends" };
        var logs = new Command("logs", "One service's log") { id, service, follow };
        logs.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            await using var stream = await api.OpenServiceLogAsync(parse.GetValue(id), parse.GetValue(service)!, parse.GetValue(follow), cancellationToken);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                output.Out.WriteLine(line);
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return logs;
    }

    private static Command Export()
    {
        var id = new Argument<long>("id") { Description = "The app's job id" };
        var export = new Command("export", "What ran, as a Kubernetes Pod (podman kube generate)") { id };
        export.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var exported = await api.ExportAppAsync(parse.GetValue(id), cancellationToken);
            if (output.Json)
            {
                output.WriteJson(exported);
            }
            else
            {
                output.Out.Write(exported.Yaml);
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return export;
    }
}

using System.CommandLine;
using Portal.Cli.Output;

namespace Portal.Cli.Commands;

/// <summary><c>portal gpus</c> and <c>portal quota</c>.</summary>
internal static class BoxCommands
{
    public static Command Gpus()
    {
        var command = new Command("gpus", "The GPUs: live use and who holds each");
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var gpus = await api.GpusAsync(cancellationToken);
            if (output.Json)
            {
                output.WriteJson(gpus);
                return ExitCodes.Ok;
            }

            if (gpus.Gpus.Count == 0)
            {
                output.Out.WriteLine($"No GPU known ({gpus.Status}{(gpus.Problem is { } p ? ": " + p : "")}).");
                return ExitCodes.Ok;
            }

            var table = new TextTable("INDEX", "NAME", "UTIL%", "MEMORY (MiB)", "TEMP", "HELD BY", "UUID");
            foreach (var gpu in gpus.Gpus)
            {
                var holder = gpu.Holder is { } h ? $"{h.Owner} (job {h.JobId})" : gpu.Drained ? "drained" : "free";
                table.Add(Formats.Number(gpu.Index), gpu.Name, Formats.Number(gpu.UtilizationPercent, "0"),
                    $"{Formats.Number(gpu.MemoryUsedMiB)}/{Formats.Number(gpu.MemoryTotalMiB)}", Formats.Number(gpu.TemperatureCelsius, "0"),
                    holder, gpu.Uuid);
            }

            table.WriteTo(output.Out);
            if (gpus.Problem is { } problem)
            {
                output.Err.WriteLine($"({problem})");
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    public static Command Quota()
    {
        var command = new Command("quota", "Your limits and what you use of each now");
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var quota = await api.QuotaAsync(cancellationToken);
            if (output.Json)
            {
                output.WriteJson(quota);
                return ExitCodes.Ok;
            }

            var limits = quota.Limits;
            var table = new TextTable("LIMIT", "USED", "ALLOWED");
            table.Add("GPUs at once", Formats.Number(quota.RunningGpus), Formats.Number(limits.MaxConcurrentGpus));
            table.Add("Jobs running", Formats.Number(quota.RunningJobs), Formats.Number(limits.MaxConcurrentJobs));
            table.Add("Jobs queued", Formats.Number(quota.QueuedJobs), Formats.Number(limits.MaxQueuedJobs));
            table.Add($"GPU-hours per {Formats.Number(limits.WindowHours)} h", Formats.Number(quota.GpuHoursInWindow, "0.00"), Formats.Number(limits.GpuHoursPerWindow));
            table.Add("Walltime per job (h)", "", Formats.Number(limits.MaxWalltimeHours));
            table.Add("CPUs per job", "", Formats.Number(limits.MaxCpusPerJob));
            table.Add("Memory per job (MiB)", "", Formats.Number(limits.MaxMemoryMiBPerJob));
            table.Add("Image storage (GiB)", "", limits.MaxImageGiB is { } gib ? Formats.Number(gib) : "no limit");
            table.WriteTo(output.Out);
            if (quota.GpuHoursExhausted)
            {
                output.Out.WriteLine("Your GPU-hours for the window are used up: new GPU jobs wait until old use leaves the window.");
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }
}

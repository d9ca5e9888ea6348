using System.CommandLine;
using Portal.Api.Contracts;
using Portal.Cli.Output;

namespace Portal.Cli.Commands;

/// <summary><c>portal presets</c>, <c>portal preset show NAME</c>, <c>portal preset rm [--box-wide] NAME</c>; a preset
/// fills <c>portal submit --preset NAME</c> as it fills the launch form.</summary>
internal static class PresetCommands
{
    public static Command List()
    {
        var command = new Command("presets", "Your launch presets, then the box-wide ones");
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var presets = await api.ListPresetsAsync(cancellationToken);
            if (output.Json)
            {
                output.WriteJson(presets);
                return ExitCodes.Ok;
            }

            var table = new TextTable("NAME", "WHOSE", "IMAGE", "GPUS", "CPUS", "MEMORY (MiB)", "WALLTIME (min)");
            foreach (var preset in presets.Items)
            {
                var v = preset.Values;
                table.Add(preset.Name, Whose(preset), v.Image ?? "-", Formats.Number(v.Gpus), Formats.Number(v.Cpus),
                    Formats.Number(v.MemoryMiB), Formats.Number(v.WalltimeMinutes));
            }

            table.WriteTo(output.Out);
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    public static Command Preset()
    {
        var name = new Argument<string>("name") { Description = "The preset's name (quote it if it has spaces)" };
        var show = new Command("show", "One preset's values (yours of this name, else the box-wide one)") { name };
        show.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var preset = await api.GetPresetAsync(parse.GetValue(name)!, cancellationToken);
            if (output.Json)
            {
                output.WriteJson(preset);
                return ExitCodes.Ok;
            }

            var v = preset.Values;
            var w = output.Out;
            w.WriteLine($"Preset:      {preset.Name} ({Whose(preset)})");
            w.WriteLine($"Job name:    {v.JobName ?? "-"}");
            w.WriteLine($"Image:       {v.Image ?? "-"}");
            w.WriteLine($"Command:     {(v.Command is { Count: > 0 } c ? string.Join(' ', c.Select(Quote)) : "-")}");
            w.WriteLine($"GPUs:        {Formats.Number(v.Gpus)}");
            w.WriteLine($"CPUs:        {Formats.Number(v.Cpus)}");
            w.WriteLine($"Memory:      {(v.MemoryMiB is { } m ? Formats.Number(m) + " MiB" : "-")}");
            w.WriteLine($"Walltime:    {(v.WalltimeMinutes is { } t ? Formats.Number(t) + " min" : "-")}");
            w.WriteLine($"Workdir:     {v.WorkingDirectory ?? "-"}");
            foreach (var (key, value) in (v.Environment ?? new Dictionary<string, string>()).OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                w.WriteLine($"Env:         {key}={value}");
            }

            foreach (var mount in v.Mounts ?? [])
            {
                w.WriteLine($"Mount:       {mount.Source}:{mount.Target}{(mount.ReadOnly ? ":ro" : "")}");
            }

            w.WriteLine($"Updated:     {Formats.Time(preset.UpdatedAt)} UTC");
            return ExitCodes.Ok;
        }, cancellationToken));

        var rmName = new Argument<string>("name") { Description = "The preset's name" };
        var boxWide = new Option<bool>("--box-wide") { Description = "Delete the box-wide preset of this name (needs an admin token)" };
        var rm = new Command("rm", "Delete one of your presets") { rmName, boxWide };
        rm.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var presetName = parse.GetValue(rmName)!;
            await api.DeletePresetAsync(presetName, parse.GetValue(boxWide), cancellationToken);
            output.Err.WriteLine($"Deleted preset {presetName}.");
            return ExitCodes.Ok;
        }, cancellationToken));

        return new Command("preset", "Show or delete a launch preset (save them on the launch form or with the API)") { show, rm };
    }

    private static string Whose(PresetResponse preset) =>
        !preset.BoxWide ? "yours" : preset.Shadowed ? "box-wide, hidden by yours" : "box-wide";

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or '=' or ':' or ',' or '+')
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

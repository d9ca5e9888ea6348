using System.CommandLine;
using System.Globalization;
using System.Text;
using Portal.Api.Contracts;

namespace Portal.Cli.Commands;

/// <summary><c>portal submit --gpus 1 --image IMG [options] -- cmd args...</c>: queues a job and prints its id
/// (alone, so <c>id=$(portal submit ...)</c> works); with <c>--follow</c> streams its output and exits with its code.
/// <c>--preset NAME</c> starts from a saved preset's values, and every option given replaces the preset's value.</summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var image = new Option<string?>("--image") { Description = "A local image, e.g. localhost/pytorch:2.5 (required unless the preset has one)" };
        var preset = new Option<string?>("--preset", "-p")
        {
            Description = "Start from this preset (yours, else the box-wide one); the options given replace its values, --env per variable",
        };
        var gpus = new Option<int?>("--gpus") { Description = "How many GPUs (default 0)" };
        var name = new Option<string?>("--name") { Description = "A label for the job (default: from the command or image)" };
        var cpus = new Option<double?>("--cpus") { Description = "CPU cores (default 1)" };
        var memory = new Option<long?>("--memory") { Description = "Memory in MiB (default 4096)" };
        var walltime = new Option<int?>("--walltime") { Description = "Longest run time in minutes (default 60)" };
        var env = new Option<string[]>("--env", "-e") { Description = "NAME=value, repeatable", AllowMultipleArgumentsPerToken = false };
        var mounts = new Option<string[]>("--mount", "-v") { Description = "source:target or source:target:ro, repeatable" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory in the container" };
        var restartable = new Option<bool>("--restartable")
        {
            Description = "The job can be stopped and started again from the beginning (it checkpoints): idle reclaim may queue it again in its place",
        };
        var follow = new Option<bool>("--follow", "-f") { Description = "Stream the job's output until it ends; exit with the job's exit code" };
        var idempotencyKey = new Option<string?>("--idempotency-key")
        {
            Description = "A key of your own for this submission: running the command again with it prints the first job instead of queuing another",
        };
        var command = new Argument<string[]>("command") { Description = "The command and its arguments, after --", Arity = ArgumentArity.ZeroOrMore };
        var submit = new Command("submit", "Queue a job") { image, preset, gpus, name, cpus, memory, walltime, env, mounts, workdir, restartable, follow, idempotencyKey, command };
        submit.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var (environment, envError) = ParseEnvironment(parse.GetValue(env) ?? []);
            var (mountList, mountError) = ParseMounts(parse.GetValue(mounts) ?? []);
            if ((envError ?? mountError) is not null)
            {
                output.Error(envError ?? mountError!);
                return ExitCodes.Usage;
            }

            var given = new SubmitJobRequest
            {
                Name = parse.GetValue(name),
                Image = parse.GetValue(image),
                Command = parse.GetValue(command) is { Length: > 0 } argv ? argv : null,
                Environment = environment.Count > 0 ? environment : null,
                Mounts = mountList.Count > 0 ? mountList : null,
                WorkingDirectory = parse.GetValue(workdir),
                Gpus = parse.GetValue(gpus),
                Cpus = parse.GetValue(cpus),
                MemoryMiB = parse.GetValue(memory),
                WalltimeMinutes = parse.GetValue(walltime),
                Restartable = parse.GetValue(restartable) ? true : null,
            };
            var values = parse.GetValue(preset) is { } presetName ? (await api.GetPresetAsync(presetName, cancellationToken)).Values : null;
            var request = Merge(values, given);
            if (string.IsNullOrEmpty(request.Image))
            {
                output.Error(values is null ? "Give --image (or --preset NAME of a preset with an image)." : "The preset has no image: give --image.");
                return ExitCodes.Usage;
            }

            var submitted = await api.SubmitAsync(request, cancellationToken, parse.GetValue(idempotencyKey));
            if (!parse.GetValue(follow))
            {
                if (output.Json)
                {
                    output.WriteJson(submitted);
                }
                else
                {
                    output.Out.WriteLine(submitted.Id.ToString(CultureInfo.InvariantCulture));
                }

                return ExitCodes.Ok;
            }

            // The output is the job's; the id goes to stderr so a pipe sees only what the job printed.
            output.Err.WriteLine($"Submitted job {submitted.Id}.");
            return await JobFollower.FollowAsync(api, submitted.Id, output, cancellationToken);
        }, cancellationToken));
        return submit;
    }

    /// <summary>
    /// The request to send: each option the user gave, else the preset's value, else the portal's default (null). The
    /// preset's environment is kept and <c>--env</c> sets or replaces single variables in it; any <c>--mount</c> or a
    /// command replaces the preset's list whole (a mount or an argument cannot be taken out one at a time). Nothing is
    /// checked here: the portal validates the result as it validates any submission.
    /// </summary>
    internal static SubmitJobRequest Merge(PresetValues? preset, SubmitJobRequest given)
    {
        ArgumentNullException.ThrowIfNull(given);
        var environment = new Dictionary<string, string>(preset?.Environment ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (key, value) in given.Environment ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var command = given.Command ?? preset?.Command ?? [];
        var image = given.Image ?? preset?.Image;
        return given with
        {
            Name = given.Name ?? preset?.JobName ?? DefaultName(command, image ?? ""),
            Image = image,
            Command = command,
            Environment = environment,
            Mounts = given.Mounts ?? preset?.Mounts ?? [],
            WorkingDirectory = given.WorkingDirectory ?? preset?.WorkingDirectory,
            Gpus = given.Gpus ?? preset?.Gpus ?? 0,
            Cpus = given.Cpus ?? preset?.Cpus,
            MemoryMiB = given.MemoryMiB ?? preset?.MemoryMiB,
            WalltimeMinutes = given.WalltimeMinutes ?? preset?.WalltimeMinutes,
        };
    }

    /// <summary>A valid job name from the command's program ("python3 train.py" gives "python3") or the image.</summary>
    public static string DefaultName(IReadOnlyList<string> command, string image)
    {
        ArgumentNullException.ThrowIfNull(command);
        var source = command.Count > 0 ? Path.GetFileName(command[0]) : image.Split('/')[^1].Split(':')[0].Split('@')[0];
        var name = new StringBuilder();
        foreach (var c in source)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-');
        }

        var trimmed = name.ToString().TrimStart('.', '_', '-');
        return trimmed.Length == 0 ? "job" : trimmed[..Math.Min(trimmed.Length, 64)];
    }

    internal static (Dictionary<string, string> Environment, string? Error) ParseEnvironment(IEnumerable<string> entries)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return (environment, $"--env '{entry}' is not NAME=value.");
            }

            environment[entry[..eq]] = entry[(eq + 1)..];
        }

        return (environment, null);
    }

    internal static (List<MountRequest> Mounts, string? Error) ParseMounts(IEnumerable<string> entries)
    {
        var mounts = new List<MountRequest>();
        foreach (var entry in entries)
        {
            var parts = entry.Split(':');
            if (parts.Length is 2 || (parts.Length == 3 && parts[2] == "ro"))
            {
                mounts.Add(new MountRequest(parts[0], parts[1], parts.Length == 3));
            }
            else
            {
                return (mounts, $"--mount '{entry}' is not source:target or source:target:ro.");
            }
        }

        return (mounts, null);
    }
}

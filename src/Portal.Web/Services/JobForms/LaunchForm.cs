using System.Globalization;
using Portal.Api.Contracts;
using Portal.Core.Jobs;
using Portal.Core.Sessions;
using Portal.Launcher.Protocol;

namespace Portal.Web.Services.JobForms;

/// <summary>
/// The launch form as typed. Property names equal <see cref="JobSpec"/>'s, so the validator's field
/// errors land next to the right input. Lists are one item per line: no shell-style quoting to get wrong.
/// </summary>
public sealed class LaunchForm
{
    public string Name { get; set; } = "";

    /// <summary>This form's idempotency key, made when the form is first shown: posting the same form again (a double
    /// click, Back and submit) finds the job the first post queued instead of queuing another.</summary>
    public string SubmissionKey { get; set; } = "";

    public string Image { get; set; } = "";

    /// <summary>One argument per line.</summary>
    public string Command { get; set; } = "";

    /// <summary>NAME=value, one per line.</summary>
    public string Environment { get; set; } = "";

    public string WorkingDirectory { get; set; } = "";

    /// <summary>source:target or source:target:ro, one per line.</summary>
    public string Mounts { get; set; } = "";

    public int Gpus { get; set; } = 1;

    public double Cpus { get; set; } = 1;

    public long MemoryMiB { get; set; } = 4096;

    /// <summary>Minutes.</summary>
    public int Walltime { get; set; } = 60;

    /// <summary>Empty for a batch job; otherwise the <see cref="SessionKind"/> of an interactive session.</summary>
    public string SessionKind { get; set; } = "";

    /// <summary>A session web app's TCP port inside the container; null when it listens on the session socket.</summary>
    public int? SessionPort { get; set; }

    /// <summary>The job can be stopped and queued again by idle reclaim (<see cref="JobSpec.Restartable"/>).</summary>
    public bool Restartable { get; set; }

    /// <summary>The name to save the form's values under as a preset ("Save as preset").</summary>
    public string PresetName { get; set; } = "";

    /// <summary>An administrator's choice to save the preset for every user instead of for themselves.</summary>
    public bool PresetBoxWide { get; set; }

    /// <summary>Which submit button posted the form: <see cref="SavePresetIntent"/>, or empty to launch.</summary>
    public string Intent { get; set; } = "";

    /// <summary>The <see cref="Intent"/> of the "Save as preset" button.</summary>
    public const string SavePresetIntent = "save-preset";

    /// <summary>Builds the spec, and the field errors of lines that cannot be read at all. The spec is built without
    /// those lines, so the page can still check every other field and show all the errors of one post together.</summary>
    public (JobSpec Spec, IReadOnlyList<FieldError> Errors) ToSpec()
    {
        var errors = new List<FieldError>();
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in Lines(Environment))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                errors.Add(new(nameof(Environment), $"'{line}' is not NAME=value."));
            }
            else if (!environment.TryAdd(line[..eq], line[(eq + 1)..]))
            {
                errors.Add(new(nameof(Environment), $"{line[..eq]} is set twice."));
            }
        }

        var mounts = new List<MountSpec>();
        foreach (string line in Lines(Mounts))
        {
            string[] parts = line.Split(':');
            if (parts.Length is 2 or 3 && (parts.Length == 2 || parts[2] == "ro"))
            {
                mounts.Add(new MountSpec(parts[0], parts[1], parts.Length == 3));
            }
            else
            {
                errors.Add(new(nameof(Mounts), $"'{line}' is not source:target or source:target:ro."));
            }
        }

        var spec = new JobSpec
        {
            // Static form binding turns an emptied field into null.
            Name = (Name ?? "").Trim(),
            Image = (Image ?? "").Trim(),
            Command = Lines(Command, trim: false),
            Environment = environment,
            WorkingDirectory = string.IsNullOrWhiteSpace(WorkingDirectory) ? null : WorkingDirectory.Trim(),
            Mounts = mounts,
            Gpus = GpuRequest.Any(Gpus),
            Cpus = Cpus,
            MemoryMiB = MemoryMiB,
            Walltime = TimeSpan.FromMinutes(Walltime),
            Session = Enum.TryParse(SessionKind, out SessionKind kind) ? new SessionApp(kind, SessionPort) : null,
            Restartable = Restartable,
        };
        return (spec, errors);
    }

    /// <summary>The form a job was launched with, for "Run again": every field of its spec, and no submission key (the
    /// page makes a new one, so the copy is a new job and not a repeat of the first).</summary>
    public static LaunchForm From(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new LaunchForm
        {
            Name = spec.Name,
            Image = spec.Image,
            Command = string.Join("\n", spec.Command),
            // By name: the stored spec (jsonb) does not keep the order the variables were typed in.
            Environment = string.Join("\n", spec.Environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}")),
            WorkingDirectory = spec.WorkingDirectory ?? "",
            Mounts = string.Join("\n", spec.Mounts.Select(m => m.ReadOnly ? $"{m.Source}:{m.Target}:ro" : $"{m.Source}:{m.Target}")),
            Gpus = spec.Gpus.Count,
            Cpus = spec.Cpus,
            MemoryMiB = spec.MemoryMiB,
            Walltime = (int)Math.Ceiling(spec.Walltime.TotalMinutes),
            SessionKind = spec.Session?.Kind.ToString() ?? "",
            SessionPort = spec.Session?.Port,
            Restartable = spec.Restartable,
        };
    }

    /// <summary>The form's values as a preset, and the field errors of lines that cannot be read (a preset keeps what
    /// the form means, not its text). Nothing else is checked: whether they make a job is the submit's question.</summary>
    public (PresetValues Values, IReadOnlyList<FieldError> Errors) ToPresetValues()
    {
        (JobSpec spec, IReadOnlyList<FieldError> errors) = ToSpec();
        var values = new PresetValues
        {
            JobName = spec.Name.Length > 0 ? spec.Name : null,
            Image = spec.Image.Length > 0 ? spec.Image : null,
            Command = spec.Command,
            Environment = spec.Environment,
            WorkingDirectory = spec.WorkingDirectory,
            Mounts = [.. spec.Mounts.Select(m => new MountRequest(m.Source, m.Target, m.ReadOnly))],
            Gpus = Gpus,
            Cpus = Cpus,
            MemoryMiB = MemoryMiB,
            WalltimeMinutes = Walltime,
        };
        return (values, errors);
    }

    /// <summary>A new form filled from a preset: each value it holds, the form's default for each it leaves out.</summary>
    public static LaunchForm FromPreset(PresetValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var form = new LaunchForm();
        form.Name = values.JobName ?? form.Name;
        form.Image = values.Image ?? form.Image;
        form.Command = values.Command is { } command ? string.Join("\n", command) : form.Command;
        form.Environment = values.Environment is { } environment
            ? string.Join("\n", environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}"))
            : form.Environment;
        form.WorkingDirectory = values.WorkingDirectory ?? form.WorkingDirectory;
        form.Mounts = values.Mounts is { } mounts
            ? string.Join("\n", mounts.Select(m => m.ReadOnly ? $"{m.Source}:{m.Target}:ro" : $"{m.Source}:{m.Target}"))
            : form.Mounts;
        form.Gpus = values.Gpus ?? form.Gpus;
        form.Cpus = values.Cpus ?? form.Cpus;
        form.MemoryMiB = values.MemoryMiB ?? form.MemoryMiB;
        form.Walltime = values.WalltimeMinutes ?? form.Walltime;
        return form;
    }

    /// <summary>One item per line; CR LF (what browsers send), LF and a lone CR all end a line, as a textarea shows them.</summary>
    private static List<string> Lines(string? text, bool trim = true) =>
        [.. (text ?? "").Split(["\r\n", "\r", "\n"], StringSplitOptions.None)
            .Select(l => trim ? l.Trim() : l)
            .Where(l => l.Trim().Length > 0)];

    public static string Describe(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}

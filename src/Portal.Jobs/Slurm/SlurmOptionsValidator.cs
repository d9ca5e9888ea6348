using Microsoft.Extensions.Options;

namespace Portal.Jobs.Slurm;

/// <summary>Lists every problem in the "Portal:Slurm" section at once, at start (only when the backend is Slurm).</summary>
internal sealed class SlurmOptionsValidator : IValidateOptions<SlurmOptions>
{
    public ValidateOptionsResult Validate(string? name, SlurmOptions options)
    {
        var failures = new List<string>();
        const string S = SlurmOptions.SectionName;
        foreach (var partition in options.Partitions)
        {
            if (partition.Length is 0 or > 64 || partition[0] == '-' || !partition.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            {
                failures.Add($"{S}:Partitions: '{partition}' is not a partition name (1 to 64 of A-Z a-z 0-9 _ . -).");
            }
        }

        if (options.ConfigFile is { } config && !Path.IsPathFullyQualified(config))
        {
            failures.Add($"{S}:ConfigFile must be an absolute path.");
        }

        if (!Path.IsPathFullyQualified(options.BinDirectory))
        {
            failures.Add($"{S}:BinDirectory must be an absolute path.");
        }

        Between(failures, $"{S}:PollInterval", options.PollInterval, TimeSpan.FromMilliseconds(200), TimeSpan.FromMinutes(10));
        Between(failures, $"{S}:NodeRefresh", options.NodeRefresh, TimeSpan.FromMilliseconds(200), TimeSpan.FromMinutes(10));
        Between(failures, $"{S}:CommandTimeout", options.CommandTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Between(List<string> failures, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{name} is {value}; it must be between {min} and {max}.");
        }
    }
}

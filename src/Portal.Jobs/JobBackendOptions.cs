namespace Portal.Jobs;

/// <summary>Where jobs run (setting <c>Portal:Backend</c>).</summary>
public sealed class JobBackendOptions
{
    /// <summary>Rootless podman containers on this host, placed by the portal's own scheduler.</summary>
    public const string Local = "local";

    /// <summary>Slurm jobs of each job's owner, placed by Slurm (see <see cref="Slurm.SlurmOptions"/>).</summary>
    public const string Slurm = "slurm";

    /// <summary><see cref="Local"/> or <see cref="Slurm"/>.</summary>
    public string Backend { get; set; } = Local;

    public bool IsSlurm => Backend == Slurm;

    /// <summary>Reads <c>Portal:Backend</c> (absent means local).</summary>
    public static JobBackendOptions From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new JobBackendOptions { Backend = configuration["Portal:Backend"] is { Length: > 0 } value ? value.Trim().ToLowerInvariant() : Local };
    }
}

/// <summary>Refuses a <c>Portal:Backend</c> the portal does not know, at start.</summary>
internal sealed class JobBackendOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<JobBackendOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, JobBackendOptions options) =>
        options.Backend is JobBackendOptions.Local or JobBackendOptions.Slurm
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
            : Microsoft.Extensions.Options.ValidateOptionsResult.Fail($"Portal:Backend is '{options.Backend}'; it must be {JobBackendOptions.Local} or {JobBackendOptions.Slurm}.");
}

namespace Portal.Core.Apps;

/// <summary>A service while its file is being read; <see cref="Build"/> makes the immutable <see cref="AppService"/>.</summary>
internal sealed class ServiceDraft(string name, int line)
{
    public string Name { get; } = name;

    public int Line { get; } = line;

    public string? Image { get; set; }

    public List<string>? Entrypoint { get; set; }

    public List<string>? Command { get; set; }

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public string? WorkingDirectory { get; set; }

    public List<AppBind> Binds { get; } = [];

    public List<AppVolumeMount> Volumes { get; } = [];

    public List<AppDependency> DependsOn { get; } = [];

    public AppHealthcheck? Healthcheck { get; set; }

    public double? Cpus { get; set; }

    public long? MemoryMiB { get; set; }

    public int Gpus { get; set; }

    public List<(int Port, int Line)> Ports { get; } = [];

    public Dictionary<string, string> Labels { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, int> KeyLines { get; } = new(StringComparer.Ordinal);

    public AppService Build() => new()
    {
        Name = Name,
        Line = Line,
        Image = Image ?? "",
        Entrypoint = Entrypoint,
        Command = Command,
        Environment = Environment,
        WorkingDirectory = WorkingDirectory,
        Binds = Binds,
        Volumes = Volumes,
        DependsOn = DependsOn,
        Healthcheck = Healthcheck,
        Cpus = Cpus,
        MemoryMiB = MemoryMiB,
        Gpus = Gpus,
        Ports = [.. Ports.Select(p => p.Port)],
        Labels = Labels,
        KeyLines = KeyLines,
    };
}

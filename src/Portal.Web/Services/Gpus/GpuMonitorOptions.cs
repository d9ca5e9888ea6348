namespace Portal.Web.Services.Gpus;

/// <summary>Settings of the live GPU view, section <c>Portal:Gpus</c>.</summary>
public sealed class GpuMonitorOptions
{
    public const string SectionName = "Portal:Gpus";

    /// <summary>Folders to look for <c>nvidia-smi</c> in, colon-separated, absolute; empty means the portal's PATH.
    /// It is also the PATH nvidia-smi itself runs with.</summary>
    public string? SearchPath { get; set; }

    /// <summary>How often nvidia-smi prints a round of samples: the dashboard's refresh rate.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>One history point per this span (the average of the samples in it).</summary>
    public TimeSpan HistoryResolution { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How much history each GPU keeps (the chart's width).</summary>
    public TimeSpan HistoryWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the processes on the GPUs (and their owners) are read again.</summary>
    public TimeSpan ProcessRefresh { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>One utilisation row per GPU per this span, for idle reclaim and the job page's history: a minute.
    /// (Tests shorten it to seconds so a whole idle window passes while a real job runs.)</summary>
    public TimeSpan RollupPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long the rows are kept in memory: the longest idle window a policy may use (a week).</summary>
    public TimeSpan RollupRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often idle reclaim of batch jobs looks at every running job's GPUs. Quota groups set the window;
    /// this only bounds how late a warning or an action may come.</summary>
    public TimeSpan JobIdleCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many rollup rows each GPU keeps.</summary>
    public int RollupCapacity => (int)Math.Max(1, RollupRetention.Ticks / Math.Max(1, RollupPeriod.Ticks));

    /// <summary>How many history points each GPU keeps.</summary>
    public int HistoryCapacity => (int)Math.Max(1, HistoryWindow.Ticks / Math.Max(1, HistoryResolution.Ticks));
}

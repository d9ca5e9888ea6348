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

    /// <summary>How many history points each GPU keeps.</summary>
    public int HistoryCapacity => (int)Math.Max(1, HistoryWindow.Ticks / Math.Max(1, HistoryResolution.Ticks));
}

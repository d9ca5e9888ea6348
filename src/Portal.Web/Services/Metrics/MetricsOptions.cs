namespace Portal.Web.Services.Metrics;

/// <summary>The Prometheus endpoint (section "Portal:Metrics").</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Portal:Metrics";

    /// <summary>Serve <c>/metrics</c> at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Answer <c>/metrics</c> only to clients on this machine (after forwarded headers are applied, so a request
    /// relayed by the reverse proxy counts as its real client). Metrics name users and GPUs: keep it on unless the
    /// scraper runs elsewhere and the network in between is trusted.
    /// </summary>
    public bool LoopbackOnly { get; set; } = true;

    /// <summary>How often job counts, the queue and the GPU holders are read from the database.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(15);
}

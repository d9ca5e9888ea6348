namespace Portal.Web.Services.Metrics;

/// <summary>The Prometheus endpoint (section "Portal:Metrics").</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Portal:Metrics";

    /// <summary>Serve <c>/metrics</c> at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The scrapers' IP addresses (after forwarded headers are applied, so a request relayed by the reverse proxy counts
    /// as its real client). Empty: no TCP client is served. Metrics name users and GPUs, and every local user connects
    /// from 127.0.0.1 too: name 127.0.0.1 only on a box where that is acceptable, else use <see cref="TokenFile"/>.
    /// </summary>
    public IList<string> Scrapers { get; } = [];

    /// <summary>
    /// A root-owned file holding a secret; a scraper that sends it as <c>Authorization: Bearer</c> is served from
    /// anywhere (Prometheus: <c>authorization: credentials_file</c>). Empty: no token.
    /// </summary>
    public string TokenFile { get; set; } = "";

    /// <summary>How often job counts, the queue and the GPU holders are read from the database.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(15);
}

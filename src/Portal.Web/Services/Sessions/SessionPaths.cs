using System.Globalization;

namespace Portal.Web.Services.Sessions;

/// <summary>The portal's paths for sessions: the proxy under <c>/s/&lt;job id&gt;/</c>.</summary>
public static class SessionPaths
{
    /// <summary>The proxy's route; the job id is a number, the rest is the app's.</summary>
    public const string Route = "/s/{jobId:long}/{**rest}";

    /// <summary>The first segment of every proxied path.</summary>
    public const string Root = "/s";

    /// <summary>Where a job's app is served, with the trailing slash apps such as Jupyter expect in their base URL.</summary>
    public static string Prefix(long jobId) => "/s/" + jobId.ToString(CultureInfo.InvariantCulture) + "/";
}

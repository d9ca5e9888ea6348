using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Portal.Web.Tests.Infrastructure;
using Portal.Web.Tests.Jobs;

namespace Portal.Production.Tests;

/// <summary>Jobs through the portal's pages, as a person would: the launch form, the job page, its stop form.</summary>
public static partial class JobPages
{
    /// <summary>Submits the launch form and returns the new job's id.</summary>
    public static async Task<long> LaunchAsync(PortalClient client, string name, string image, params string[] command)
    {
        using var response = await client.PostFormAsync("/jobs/new", "launch",
        [
            new("Form.Name", name),
            new("Form.Image", image),
            new("Form.Command", string.Join('\n', command)),
            new("Form.Gpus", "0"),
            new("Form.Cpus", "1"),
            new("Form.MemoryMiB", "256"),
            new("Form.Walltime", "30"),
            new("Form.Environment", ""),
            new("Form.WorkingDirectory", ""),
            new("Form.Mounts", ""),
        ]);
        var path = response.RedirectPath();
        Assert.True(response.StatusCode == HttpStatusCode.Redirect && path is not null,
            $"launch: {response.StatusCode}\n{await response.Content.ReadAsStringAsync()}");
        return long.Parse(path!["/jobs/".Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>The state the job's page shows, e.g. "Running" or "Queued (Resources)".</summary>
    public static async Task<string> StateAsync(PortalClient client, long id)
    {
        var page = await client.PageAsync(Path(id));
        var state = StatePattern().Match(page);
        Assert.True(state.Success, "no state on the job page: " + page);
        return WebUtility.HtmlDecode(state.Groups[1].Value);
    }

    public static Task<string> WaitForStateAsync(PortalClient client, long id, string state) =>
        Eventually.UntilAsync(() => StateAsync(client, id), s => s.StartsWith(state, StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), $"job {id} to be {state}");

    /// <summary>Posts the job page's confirmed stop form.</summary>
    public static async Task StopAsync(PortalClient client, long id)
    {
        using var response = await client.PostFormAsync(Path(id), "cancel", [new("Confirm", "true")]);
        Assert.True(response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.Redirect, $"stop: {response.StatusCode}");
    }

    public static string ContainerName(long id) => "portal-job-" + id.ToString(CultureInfo.InvariantCulture);

    private static string Path(long id) => "/jobs/" + id.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("<dt>State</dt><dd class=\"job-state\">([^<]+)</dd>")]
    private static partial Regex StatePattern();
}

using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Portal.Api.Contracts;
using Portal.Launcher.Protocol;
using Portal.Slurm.Tests.Infrastructure;

namespace Portal.Slurm.Tests.Portal;

/// <summary>
/// An app on the cluster through the portal: submitted like any app, it runs as ONE Slurm job of its owner (its pod on
/// the node), its services' states and logs come from the node through the launcher, its web front is opened at the
/// same /s/&lt;id&gt;/ path, and a stop leaves nothing on the node.
/// </summary>
[Collection(SlurmHostGroup.Name)]
public sealed class SlurmAppPortalTests(SlurmHost host)
{
    private static string TwoServices(string words) => $$"""
        services:
          db:
            image: {{SlurmHost.Image}}
            command: ["sh", "-c", "echo db sees GPU $$CUDA_VISIBLE_DEVICES; mkdir -p /www && echo '{{words}}' > /www/index.html && exec httpd -f -p 127.0.0.1:5000 -h /www"]
            healthcheck: {test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:5000/index.html"], interval: 1s, timeout: 5s, retries: 30}
            deploy:
              resources:
                reservations:
                  devices: [{count: 1, capabilities: [gpu]}]
            mem_limit: 100m
          web:
            image: {{SlurmHost.Image}}
            command: ["sh", "-c", "mkdir -p /www && wget -q -O /www/index.html http://db:5000/index.html && echo web fetched it && exec httpd -f -p 127.0.0.1:8080 -h /www"]
            depends_on:
              db: {condition: service_healthy}
            x-portal-web: {port: 8080}
            mem_limit: 100m
        """;

    [Fact]
    public async Task AnAppOnTheCluster_IsOneSlurmJob_WhoseFrontServesItsOwner_AndWhoseServicesShowTheirStatesAndLogs_UntilItIsStopped()
    {
        await using var world = await SlurmWorld.CreateAsync(host);
        using var alice = await world.ClientAsync(host.Alice);
        var words = "slurm app " + Guid.NewGuid().ToString("N")[..8];

        using var submitted = await alice.PostAsJsonAsync("/api/v1/apps", new AppRequest { File = TwoServices(words), Name = "slurm-app", WalltimeMinutes = 10 },
            ApiJsonContext.Default.AppRequest);
        Assert.True(submitted.IsSuccessStatusCode, await submitted.Content.ReadAsStringAsync());
        var id = (await submitted.Content.ReadFromJsonAsync(ApiJsonContext.Default.SubmitJobResponse))!.Id;
        var running = await SlurmWorld.WaitForAsync(alice, id, j => j.State == JobStates.Running, "to run");
        var slurmId = long.Parse(running.Backend!.JobId!, CultureInfo.InvariantCulture);

        // Its front, at its portal path, through the owner's job; nobody else's.
        using var aliceBrowser = await world.SignInAsync(host.Alice);
        using var bobBrowser = await world.SignInAsync(host.Bob);
        var path = $"/s/{id.ToString(CultureInfo.InvariantCulture)}/index.html";
        string page = "";
        var served = await LocalSlurmCluster.WaitForAsync(async () =>
        {
            using var response = await aliceBrowser.Http.GetAsync(path);
            page = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(90), "the app's front", throwOnTimeout: false);
        Assert.True(served, "the app's front never answered; the last answer: " + page);
        Assert.Equal("200 " + words + "\n", page);
        using (var bobSees = await bobBrowser.Http.GetAsync(path))
        {
            Assert.Equal(HttpStatusCode.NotFound, bobSees.StatusCode);
        }

        // Both services run, as the batch script reports them; each has its own log; the app is one Slurm job with
        // the services' GPUs.
        // (The front may answer a moment before the script has written that web started: wait for the line.)
        AppResponse? app = null;
        await LocalSlurmCluster.WaitForAsync(async () =>
            (app = await alice.GetFromJsonAsync($"/api/v1/apps/{id}", ApiJsonContext.Default.AppResponse))!.Services.Count == 2,
            TimeSpan.FromSeconds(30), "both services' states", throwOnTimeout: false);
        Assert.Equal([("db", "running"), ("web", "running")], app!.Services.Select(s => (s.Service, s.State)));
        Assert.Contains("db sees GPU 0", await alice.GetStringAsync($"/api/v1/apps/{id}/services/db/logs"), StringComparison.Ordinal);
        Assert.Contains("web fetched it", await alice.GetStringAsync($"/api/v1/apps/{id}/services/web/logs"), StringComparison.Ordinal);
        Assert.Equal(("slurm", 1), (running.Backend.Kind, running.Backend.Gpus.Count));
        using (var export = await alice.GetAsync($"/api/v1/apps/{id}/export"))
        {
            Assert.Equal(HttpStatusCode.Conflict, export.StatusCode);
        }

        // The app's page: its services, the script's own log beside each service's, and no export of a node's pod.
        var pageHtml = await aliceBrowser.Http.GetStringAsync($"/jobs/{id}");
        Assert.Contains("data-service=\"db\"", pageHtml, StringComparison.Ordinal);
        Assert.Contains("Log of web", pageHtml, StringComparison.Ordinal);
        Assert.Contains(">Log<", pageHtml, StringComparison.Ordinal);
        Assert.DoesNotContain($"/apps/{id}/export", pageHtml, StringComparison.Ordinal);

        using var stopped = await alice.PostAsync($"/api/v1/jobs/{id}/cancel", null);
        Assert.True(stopped.IsSuccessStatusCode, await stopped.Content.ReadAsStringAsync());
        await SlurmJobs.WaitForStateAsync(slurmId, "CANCELLED");
        var label = $"label={LauncherProtocol.AppLabel}={JobKeys.Format(id)}";
        await LocalSlurmCluster.WaitForAsync(async () =>
            (await host.Alice.PodmanAsync("pod", "ps", "--quiet", "--filter", label)).Stdout.Trim().Length == 0
            && (await host.Alice.PodmanAsync("ps", "--all", "--quiet", "--filter", label)).Stdout.Trim().Length == 0,
            TimeSpan.FromSeconds(60), "the app's pod and containers to be removed from the node");
        await LocalSlurmCluster.WaitForAsync(async () =>
        {
            using var response = await aliceBrowser.Http.GetAsync(path);
            return response.StatusCode == HttpStatusCode.NotFound;
        }, TimeSpan.FromSeconds(30), "the stopped app to be gone from its path");
    }
}

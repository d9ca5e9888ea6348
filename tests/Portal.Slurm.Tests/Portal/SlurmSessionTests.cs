using System.Globalization;
using System.Net;
using Portal.Api.Contracts;
using Portal.Launcher.Protocol;
using Portal.Slurm.Tests.Infrastructure;

namespace Portal.Slurm.Tests.Portal;

/// <summary>
/// An interactive session on the cluster through the portal: submitted like any session, run as a Slurm job of its
/// owner on the node, and opened at the same /s/&lt;id&gt;/ path, whose connections the launcher relays through the
/// owner's own job to the app's socket on the node.
/// </summary>
[Collection(SlurmHostGroup.Name)]
public sealed class SlurmSessionTests(SlurmHost host)
{
    [Fact]
    public async Task ASessionOnTheCluster_IsServedToItsOwnerAtItsPortalPath_AndToNobodyElse_UntilItIsCancelled()
    {
        await using var world = await SlurmWorld.CreateAsync(host);
        using var alice = await world.ClientAsync(host.Alice);
        var words = "slurm session " + Guid.NewGuid().ToString("N")[..8];
        // A web app gets its base path (/s/<id>/) in PORTAL_SESSION_BASE_URL, through the job's environment file.
        var request = SlurmWorld.Request(["sh", "-c",
                $"mkdir -p /www$PORTAL_SESSION_BASE_URL && echo '{words}' > /www${{PORTAL_SESSION_BASE_URL}}index.html && exec httpd -f -p 127.0.0.1:8080 -h /www"])
            with { Session = new SessionRequest(SessionKinds.WebApp, 8080), WalltimeMinutes = 10 };

        var id = await SlurmWorld.SubmitAsync(alice, request);
        var running = await SlurmWorld.WaitForAsync(alice, id, j => j.State == JobStates.Running, "to run");
        using var aliceBrowser = await world.SignInAsync(host.Alice);
        using var bobBrowser = await world.SignInAsync(host.Bob);
        var path = $"/s/{id.ToString(CultureInfo.InvariantCulture)}/index.html";
        string page = "";
        var served = await LocalSlurmCluster.WaitForAsync(async () =>
        {
            using var response = await aliceBrowser.Http.GetAsync(path);
            page = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(60), "the session's page", throwOnTimeout: false);
        Assert.True(served, "the session's page never came; the last answer: " + page);
        using var bobSees = await bobBrowser.Http.GetAsync(path);

        Assert.Equal(("slurm", $"/s/{id}/"), (running.Backend!.Kind, running.Session!.Path));
        Assert.Equal("200 " + words + "\n", page);
        Assert.Equal(HttpStatusCode.NotFound, bobSees.StatusCode);

        using var cancelled = await alice.PostAsync($"/api/v1/jobs/{id}/cancel", null);
        Assert.True(cancelled.IsSuccessStatusCode, await cancelled.Content.ReadAsStringAsync());
        var slurmId = long.Parse(running.Backend.JobId!, CultureInfo.InvariantCulture);
        await SlurmJobs.WaitForStateAsync(slurmId, "CANCELLED");
        await LocalSlurmCluster.WaitForAsync(async () =>
        {
            using var response = await aliceBrowser.Http.GetAsync(path);
            return response.StatusCode == HttpStatusCode.NotFound;
        }, TimeSpan.FromSeconds(30), "the ended session to be gone from its path");
        await LocalSlurmCluster.WaitForAsync(() => Task.FromResult(!Directory.Exists(SlurmNames.NodeSessionFolder(host.Alice.Uid, slurmId))),
            TimeSpan.FromSeconds(60), "the session folder on the node to go");
    }
}

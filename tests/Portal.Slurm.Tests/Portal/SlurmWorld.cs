using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data.Entities;
using Portal.Api.Contracts;
using Portal.Slurm.Tests.Infrastructure;
using Portal.Web.Tests.Data;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Slurm.Tests.Portal;

/// <summary>One test's world: a fresh database with the host's users bound to portal accounts, a Slurm portal on it,
/// and each user's API client. Disposing it cancels what the test left in Slurm and shuts the portal down.</summary>
public sealed class SlurmWorld : IAsyncDisposable
{
    private readonly List<SlurmPortal> _portals = [];

    private SlurmWorld(SlurmHost host, TestDatabase db)
    {
        Host = host;
        Db = db;
    }

    public SlurmHost Host { get; }

    public TestDatabase Db { get; }

    public Dictionary<string, Guid> Accounts { get; } = new(StringComparer.Ordinal);

    public SlurmPortal Portal => _portals[^1];

    public static async Task<SlurmWorld> CreateAsync(SlurmHost host)
    {
        var world = new SlurmWorld(host, await TestDatabase.CreateAsync());
        foreach (var user in new[] { host.Alice, host.Bob })
        {
            world.Accounts[user.Name] = await world.Db.AddUserAsync(user.Name, user.Uid);
        }

        // Job ids of their own, so Slurm job names (portal-<id>) never repeat another test's.
        await world.Db.ExecuteAsync(
            $"SELECT setval(pg_get_serial_sequence('\"Jobs\"', 'Id'), {Random.Shared.NextInt64(1_000_000, 1_000_000_000)})");
        world.StartPortal();
        return world;
    }

    /// <summary>Starts a portal on this world's database (a restart, when one ran before).</summary>
    public SlurmPortal StartPortal()
    {
        var portal = new SlurmPortal(Db.ConnectionString, Host.LauncherPath).Start();
        _portals.Add(portal);
        return portal;
    }

    /// <summary>Shuts the current portal down, as the service manager does: its Slurm jobs keep running.</summary>
    public async Task StopPortalAsync()
    {
        var portal = Portal;
        _portals.Remove(portal);
        await portal.DisposeAsync();
    }

    public async Task<HttpClient> ClientAsync(SlurmTestUser user) =>
        Portal.ApiClient(await Portal.TokenAsync(Accounts[user.Name], ApiScopes.JobsRead, ApiScopes.JobsWrite));

    /// <summary>A browser-like client (cookies, no redirects) signed in as <paramref name="user"/> with a portal
    /// password given to the account here: the session proxy serves browsers, never API tokens.</summary>
    public async Task<PortalClient> SignInAsync(SlurmTestUser user)
    {
        const string Password = "Slurm-session-test-1";
        await using (var scope = Portal.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var account = await users.FindByIdAsync(Accounts[user.Name].ToString()) ?? throw new InvalidOperationException(user.Name + " has no account.");
            if (!await users.HasPasswordAsync(account))
            {
                var added = await users.AddPasswordAsync(account, Password);
                Assert.True(added.Succeeded, string.Join("; ", added.Errors.Select(e => e.Description)));
            }
        }

        var client = new PortalClient(new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true })
        {
            BaseAddress = Portal.BaseAddress,
        });
        using var login = await client.LoginAsync(user.Name, Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return client;
    }

    public static SubmitJobRequest Request(IReadOnlyList<string> command, int gpus = 0, long memoryMiB = 200) => new()
    {
        Name = "slurm-test", Image = SlurmHost.Image, Command = command, Gpus = gpus, Cpus = 1, MemoryMiB = memoryMiB, WalltimeMinutes = 10,
    };

    public static async Task<long> SubmitAsync(HttpClient client, SubmitJobRequest request)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/jobs", request, ApiJsonContext.Default.SubmitJobRequest);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"submit: {(int)response.StatusCode} {body}");
        return System.Text.Json.JsonSerializer.Deserialize(body, ApiJsonContext.Default.SubmitJobResponse)!.Id;
    }

    public static async Task<JobResponse> JobAsync(HttpClient client, long id) =>
        (await client.GetFromJsonAsync($"/api/v1/jobs/{id}", ApiJsonContext.Default.JobResponse))!;

    /// <summary>Waits until the API shows the job as <paramref name="done"/> says.</summary>
    public static async Task<JobResponse> WaitForAsync(HttpClient client, long id, Func<JobResponse, bool> done, string what, TimeSpan? within = null)
    {
        JobResponse? last = null;
        await LocalSlurmCluster.WaitForAsync(async () => done(last = await JobAsync(client, id)), within ?? TimeSpan.FromSeconds(90),
            $"job {id} {what} (last: {last?.State} {last?.Backend?.State} {last?.Backend?.Reason})");
        return last!;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var portal in _portals)
            {
                await portal.DisposeAsync();
            }
        }
        finally
        {
            // What the test left in Slurm: cancelled as root, and waited for.
            var left = await LocalSlurmCluster.RunAsync("/usr/bin/squeue", "--noheader", "--format=%A", "--user=" + Host.Alice.Name + "," + Host.Bob.Name);
            var ids = left.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (ids.Length > 0)
            {
                await LocalSlurmCluster.RunAsync("/usr/bin/scancel", ids);
                await LocalSlurmCluster.WaitForAsync(async () => (await LocalSlurmCluster.RunAsync("/usr/bin/squeue", "--noheader", "--format=%A",
                    "--user=" + Host.Alice.Name + "," + Host.Bob.Name)).Stdout.Trim().Length == 0, TimeSpan.FromSeconds(90), "the test's Slurm jobs to end");
            }

            await Db.DisposeAsync();
        }
    }
}

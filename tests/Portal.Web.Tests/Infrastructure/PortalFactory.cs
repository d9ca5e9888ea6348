using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Portal.Core.Accounts;
using Portal.Data;
using Portal.Data.Entities;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>The real portal in-process, on a fresh database of the test PostgreSQL server.</summary>
public class PortalFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _linuxAccounts = [];
    private string _connectionString = "";

    public CapturingSecretSink Secrets { get; } = new();

    /// <summary>What the portal logged as errors, for failure messages.</summary>
    public ServerErrorLog ServerErrors { get; } = new();

    /// <summary>The portal's data folder (its key ring) for this factory only.</summary>
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"portal-web-test-{Guid.NewGuid():N}");

    public async Task InitializeAsync()
    {
        _connectionString = await TestPostgres.CreateDatabaseAsync();
        StartHost();
    }

    /// <summary>Builds and starts the host (migrations, bootstrap) now, not in a test.</summary>
    protected virtual void StartHost() => _ = Server;

    async Task IAsyncLifetime.DisposeAsync()
    {
        try
        {
            await DisposeAsync();
            if (Directory.Exists(DataDirectory))
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
        }
        finally
        {
            foreach (var account in _linuxAccounts)
            {
                await account.DisposeAsync();
            }
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Portal", _connectionString);
        builder.UseSetting("Portal:DataDirectory", DataDirectory);
        builder.ConfigureLogging(logging => logging.AddProvider(ServerErrors));
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<IOneTimeSecretSink>();
            services.AddSingleton<IOneTimeSecretSink>(Secrets);
            services.AddSingleton<IStartupFilter, RemoteAddressStartupFilter>();
        });
    }

    public PortalClient CreatePortalClient() =>
        new(CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));

    /// <summary>Creates an account directly (no one-time password), for tests that need a signed-in user.</summary>
    public async Task<PortalUser> CreateUserAsync(string userName, string password, bool admin = false, string? linuxUser = null)
    {
        await using AsyncServiceScope scope = Services.CreateAsyncScope();
        UserManager<PortalUser> users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = new PortalUser(userName);
        if (linuxUser is not null)
        {
            _linuxAccounts.Add(await TestLinuxUsers.HoldAsync(linuxUser));
            LinuxAccount account = await FindLinuxAccountAsync(linuxUser)
                ?? throw new InvalidOperationException($"{linuxUser} vanished.");
            user.BindLinuxAccount(account.Name, account.Uid);
        }

        Check(await users.CreateAsync(user, password));
        Check(await users.AddToRolesAsync(user, admin ? Roles.All : [Roles.User]));
        return user;
    }

    public async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        IDbContextFactory<PortalDbContext> factory = Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using PortalDbContext db = await factory.CreateDbContextAsync();
        return await query(db);
    }

    public Task<LinuxAccount?> FindLinuxAccountAsync(string name) =>
        Services.GetRequiredService<ILinuxAccountDirectory>().FindByNameAsync(name, CancellationToken.None);

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }
}

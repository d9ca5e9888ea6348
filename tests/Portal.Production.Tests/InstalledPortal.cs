using System.Net;
using System.Net.Sockets;
using Portal.Tests.Cleanup;
using Portal.Web.Tests.Infrastructure;
using Portal.Web.Tests.Jobs;

namespace Portal.Production.Tests;

/// <summary>
/// The portal installed into this machine by deploy/install.sh, exactly as on a production host (the `portal`
/// account, /usr/lib/portal, the launcher in /usr/libexec/portal with its sudo rule, /etc/portal), then started as
/// `portal` the way the unit says; two job users in the job group with a busybox image each; an admin and the two
/// users signed up through the portal's own forms. Removed again with deploy/uninstall.sh --purge at the end, also
/// when setting up failed half-way, and before starting in case an earlier run was killed.
/// </summary>
public sealed class InstalledPortal : IAsyncLifetime
{
    public const string UnitFile = "/etc/systemd/system/portal.service";
    public const string Launcher = "/usr/libexec/portal/portal-launcher";
    public const string AuditLog = "/var/log/portal-launcher/audit.log";
    public const string JobGroup = "portal-users";
    public const string Image = "localhost/pprod-busybox:latest";
    public const string Password = "Correct-Horse-42-Battery";
    private const string Root = "/var/lib/portal-production-test";

    private readonly TestCluster _cluster = new(Root + "/pg");

    public HostAccount Alice { get; private set; } = null!;

    public HostAccount Bob { get; private set; } = null!;

    public HostAccount Service { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public ServiceProcess Portal { get; private set; } = null!;

    /// <summary>What install.sh printed on its first and its second run.</summary>
    public IReadOnlyList<ShResult> Installs { get; private set; } = [];

    public static string Repository
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(dir, "Portal.sln")))
            {
                dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("Portal.sln not found above the test binaries.");
            }

            return dir;
        }
    }

    public async Task InitializeAsync()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("The production test installs the portal into this machine: run it as root (CI does).");
        }

        await CleanUpAsync();
        try
        {
            await SetUpAsync();
        }
        catch
        {
            await CleanUpAsync();
            throw;
        }
    }

    public async Task DisposeAsync() => await CleanUpAsync();

    /// <summary>A client that keeps cookies and does not follow redirects, like PortalClient's tests expect.</summary>
    public PortalClient Client() => new(new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true })
    {
        BaseAddress = BaseAddress,
    });

    public async Task<PortalClient> SignInAsync(string userName)
    {
        var client = Client();
        using var login = await client.LoginAsync(userName, Password);
        Assert.True(login.StatusCode == HttpStatusCode.Redirect && login.RedirectPath() == "/", $"sign-in of {userName}: {login.StatusCode} {login.RedirectPath()}");
        return client;
    }

    /// <summary>Kills the portal (SIGKILL) and starts it again as the unit would; returns once it is ready.</summary>
    public async Task RestartPortalAsync()
    {
        await Portal.KillAsync();
        await Portal.DisposeAsync();
        Portal = ServiceProcess.Start(UnitFile);
        await WaitReadyAsync();
    }

    private async Task SetUpAsync()
    {
        await Sh.CheckedAsync("/usr/sbin/groupadd", "-f", JobGroup);
        Alice = await CreateJobUserAsync("pprod-alice");
        Bob = await CreateJobUserAsync("pprod-bob");
        await _cluster.StartAsync();

        var port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        var first = await InstallAsync(port);
        var second = await InstallAsync(port);
        Installs = [first, second];
        Service = await HostAccount.ReadAsync("portal");

        var tar = await BusyboxTarAsync();
        foreach (var user in new[] { Alice, Bob })
        {
            var imported = await user.PodmanAsync("import", "--change", "ENV PATH=/bin", tar, Image);
            Assert.True(imported.ExitCode == 0, imported.ToString());
        }

        Portal = ServiceProcess.Start(UnitFile);
        await WaitReadyAsync();
        await SignUpAsync();
    }

    private async Task<ShResult> InstallAsync(int port)
    {
        // What tests/run.sh published (as deploy/install.sh would itself without arguments).
        var portal = Environment.GetEnvironmentVariable("PORTAL_TEST_PRODUCTION_PORTAL");
        var launcher = Environment.GetEnvironmentVariable("PORTAL_TEST_PRODUCTION_LAUNCHER");
        string[] args = string.IsNullOrEmpty(portal) || string.IsNullOrEmpty(launcher) ? [] : ["--portal", portal, "--launcher", launcher];
        var r = await Sh.RunAsync("/usr/bin/env", ["PG_HOST=" + _cluster.SocketDirectory, $"PORTAL_URLS=http://127.0.0.1:{port}",
            "PORTAL_REQUIRE_HTTPS=false", "PORTAL_TRUSTED_PROXIES=127.0.0.1", "PORTAL_METRICS_SCRAPERS=127.0.0.1", "/bin/bash", Path.Combine(Repository, "deploy/install.sh"), .. args], TimeSpan.FromMinutes(15));
        Assert.True(r.ExitCode == 0, "install.sh failed: " + r);
        return r;
    }

    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            await Eventually.UntilAsync(async () =>
            {
                try
                {
                    using var response = await http.GetAsync("/readyz");
                    return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                }
                catch (HttpRequestException e)
                {
                    return e.Message;
                }
                catch (TaskCanceledException e) when (e.InnerException is TimeoutException)
                {
                    // A portal that is still starting (migrating, compiling its first requests) on a loaded machine
                    // may take longer than one probe: not ready yet, ask again until the deadline.
                    return e.Message;
                }
            }, s => s.StartsWith("200 Healthy", StringComparison.Ordinal), TimeSpan.FromMinutes(3), "the installed portal to be ready");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\nThe portal wrote:\n" + string.Join('\n', Portal.Lines), e);
        }
    }

    /// <summary>The first admin (its one-time password from the portal's output), then alice and bob, created on
    /// the users page and bound to their Linux accounts; everyone sets <see cref="Password"/>.</summary>
    private async Task SignUpAsync()
    {
        var otp = await Eventually.UntilAsync(() => Task.FromResult(Portal.OneTimePassword()), p => p is not null,
            TimeSpan.FromSeconds(30), "the first admin's one-time password");
        using var admin = await FirstSignInAsync("admin", otp!);
        foreach (var user in new[] { Alice, Bob })
        {
            using var created = await admin.PostFormAsync("/admin/users", "create-user",
                [new("NewUser.UserName", user.Name), new("NewUser.LinuxUserName", user.Name)]);
            var page = await created.Content.ReadAsStringAsync();
            var secret = System.Text.RegularExpressions.Regex.Match(page, "<code class=\"secret\">([^<]+)</code>");
            Assert.True(secret.Success, "creating " + user.Name + " gave no one-time password: " + page);
            (await FirstSignInAsync(user.Name, WebUtility.HtmlDecode(secret.Groups[1].Value))).Dispose();
        }
    }

    private async Task<PortalClient> FirstSignInAsync(string userName, string oneTimePassword)
    {
        var client = Client();
        using var login = await client.LoginAsync(userName, oneTimePassword);
        Assert.Equal("/account/change-password", login.RedirectPath());
        using var changed = await client.PostFormAsync("/account/change-password", "change-password",
        [
            new("Input.CurrentPassword", oneTimePassword),
            new("Input.NewPassword", Password),
            new("Input.ConfirmPassword", Password),
        ]);
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        return client;
    }

    private static async Task<HostAccount> CreateJobUserAsync(string name)
    {
        if ((await Sh.RunAsync("/usr/bin/id", ["-u", name])).ExitCode != 0)
        {
            // No subordinate ids: install.sh gives the group's members theirs.
            await Sh.CheckedAsync("/usr/sbin/useradd", "--create-home", "--shell", "/bin/bash", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name);
        }

        await Sh.CheckedAsync("/usr/sbin/usermod", "-aG", JobGroup, name);
        var account = await HostAccount.ReadAsync(name);
        // The runtime folder the launcher would make, so this test can import the image as the user first.
        var runtime = "/run/user/" + HostAccount.N(account.Uid);
        Directory.CreateDirectory(runtime);
        await Sh.CheckedAsync("/usr/bin/chown", $"{account.Uid}:{account.Gid}", runtime);
        File.SetUnixFileMode(runtime, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return account;
    }

    private static async Task<string> BusyboxTarAsync()
    {
        var rootfs = Root + "/busybox-rootfs";
        var tar = Root + "/busybox-rootfs.tar";
        foreach (var d in new[] { "bin", "dev", "proc", "sys", "tmp", "etc" })
        {
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        }

        File.Copy("/bin/busybox", rootfs + "/bin/busybox", overwrite: true);
        foreach (var applet in new[] { "sh", "sleep", "echo", "id", "cat" })
        {
            var link = Path.Combine(rootfs, "bin", applet);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }

        await File.WriteAllTextAsync(rootfs + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        await Sh.CheckedAsync("/usr/bin/tar", "-C", rootfs, "-cf", tar, ".");
        File.SetUnixFileMode(tar, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return tar;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Leaves the machine as it was: the portal stopped, the test users' containers gone, everything
    /// install.sh added purged, the test cluster stopped and the test users deleted. Each step runs even if an
    /// earlier one fails.</summary>
    private async Task CleanUpAsync()
    {
        if (Portal is not null)
        {
            await Portal.DisposeAsync();
        }

        foreach (var name in new[] { "pprod-alice", "pprod-bob" })
        {
            if ((await Sh.RunAsync("/usr/bin/id", ["-u", name])).ExitCode == 0)
            {
                var user = await HostAccount.ReadAsync(name);
                await user.PodmanAsync("rm", "--all", "--force", "--time", "0");
            }
        }

        await Sh.RunAsync("/bin/bash", [Path.Combine(Repository, "deploy/uninstall.sh"), "--purge"], TimeSpan.FromMinutes(2));
        await _cluster.StopAsync();
        // Their processes (the rootless pause process too), homes, runtime folders and subordinate ids.
        await ThrowawayAccounts.RemoveAsync("pprod-alice", "pprod-bob");

        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class InstalledPortalGroup : ICollectionFixture<InstalledPortal>
{
    /// <summary>One installed portal on this machine, shared by the tests, which therefore run one at a time.</summary>
    public const string Name = "installed portal";
}

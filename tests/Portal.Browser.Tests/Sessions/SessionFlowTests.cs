using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Browser.Tests.Dashboard;
using Portal.Browser.Tests.Jobs;
using Portal.Core.Gpus;
using Portal.Data.Entities.Jobs;
using Portal.Data.Jobs;
using Portal.Web.Tests.Jobs;

namespace Portal.Browser.Tests.Sessions;

/// <summary>
/// A Jupyter session end to end: real launcher, real rootless podman as a throwaway user, Jupyter Notebook from
/// Debian's packages (deploy/images/build-jupyter-image.sh), the portal's proxy, and Chromium.
/// </summary>
[Collection(BrowserJobHostGroup.Name)]
public sealed class SessionFlowTests(JobHostFixture host, Chromium chromium) : IClassFixture<Chromium>, IAsyncLifetime
{
    private const string JupyterImage = "localhost/pweb-jupyter:deb12";
    private static readonly LocatorAssertionsToContainTextOptions Slow = new() { Timeout = 120_000 };

    private JobHostPortal _portal = null!;

    public async Task InitializeAsync()
    {
        await EnsureJupyterImageAsync(host.Alice);
        foreach (var user in new[] { host.Alice, host.Bob })
        {
            await JobHostFixture.RemoveAllContainersAsync(user);
        }

        _portal = new JobHostPortal(host);
        await _portal.InitializeAsync();
        await _portal.CreateUserAsync("alice", BrowserSession.Password, linuxUser: host.Alice.Name);
        await _portal.CreateUserAsync("bob", BrowserSession.Password, linuxUser: host.Bob.Name);
        var gpus = JobHostFixture.GpuUuids.Select((uuid, i) => new GpuDevice(i, uuid, "Fake GPU", 81920, null, $"{JobHostFixture.GpuDir}/nvidia{i}", []));
        await _portal.Services.GetRequiredService<GpuStore>().UpsertGpusAsync(gpus);
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_portal).DisposeAsync();
        foreach (var user in new[] { host.Alice, host.Bob })
        {
            await JobHostFixture.RemoveAllContainersAsync(user);
        }
    }

    [Fact]
    public async Task A_user_starts_Jupyter_runs_a_cell_and_a_terminal_uploads_40MB_and_nobody_else_gets_in()
    {
        await using IBrowserContext aliceContext = await NewContextAsync();
        IPage page = await aliceContext.NewPageAsync();
        await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);

        // Start it from the page.
        await page.GetByRole(AriaRole.Link, new() { Name = "New session", Exact = true }).ClickAsync();
        await page.GetByLabel("Image").FillAsync(JupyterImage);
        await page.Locator("#command").FillAsync("jupyter\nnotebook");
        await page.GetByLabel("GPUs", new() { Exact = true }).FillAsync("1");
        await page.GetByLabel("Memory (MiB)").FillAsync("1024");
        await page.GetByLabel("Walltime (minutes)").FillAsync("20");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start session" }).ClickAsync();
        try
        {
            await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/jobs/[0-9]+$"));
        }
        catch (TimeoutException)
        {
            // Say what the form said instead of only that it stayed.
            throw new InvalidOperationException("The session did not start; the page says: " + await page.InnerTextAsync("body"));
        }

        long id = long.Parse(new Uri(page.Url).AbsolutePath.Split('/')[^1], CultureInfo.InvariantCulture);
        string session = $"/s/{id}/";
        await Assertions.Expect(page.GetByTestId("open-session")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await Chromium.ScreenshotAsync(page, "session-ready");

        // Open it as the Open button does: Jupyter's first page sets its XSRF cookie (path /s/<id>/), which the calls
        // below send back.
        await page.GotoAsync(session);
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/s/{id}/"));

        // A notebook: its kernel talks over a WebSocket through the proxy.
        string notebook = await page.EvaluateAsync<string>(Js("(async () => (await call('POST', 'api/contents', {type: 'notebook'})).path)()"), session);
        await page.GotoAsync(session + "notebooks/" + notebook);
        await Assertions.Expect(page.Locator("#kernel_indicator_icon.kernel_idle_icon")).ToBeAttachedAsync(new() { Timeout = 60_000 });
        await page.Locator(".CodeMirror").First.ClickAsync();
        await page.Keyboard.TypeAsync("print(6 * 7)");
        await page.Keyboard.PressAsync("Shift+Enter");
        await Assertions.Expect(page.Locator(".output_area").First).ToContainTextAsync("42", Slow);
        await Chromium.ScreenshotAsync(page, "session-notebook");

        // A terminal: another WebSocket (terminado).
        string terminal = await page.EvaluateAsync<string>(Js("(async () => (await call('POST', 'api/terminals')).name)()"), session);
        // Spoken to over its WebSocket (terminado's protocol) through the proxy, as the terminal page does. The offline
        // image's terminal page itself does not render in Chromium yet (docs/sessions.md), so the browser is not used.
        using (ClientWebSocket shell = await ConnectAsync(session + "terminals/websocket/" + terminal, await CookiesOfAsync(aliceContext),
            _portal.BaseAddress.GetLeftPart(UriPartial.Authority)))
        {
            await shell.SendAsync(Encoding.UTF8.GetBytes("[\"stdin\", \"echo hi-$((6*7))\\r\"]"), WebSocketMessageType.Text, true, CancellationToken.None);
            Assert.Contains("hi-42", await ReadUntilAsync(shell, "hi-42"), StringComparison.Ordinal);
        }

        // A 40 MB upload, as Jupyter sends it: base64 in JSON, one request.
        int size = await page.EvaluateAsync<int>(Js("""
            (async () => {
              const bytes = new Uint8Array(40 * 1024 * 1024);
              for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
              let text = ''; for (let i = 0; i < bytes.length; i += 32768) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 32768));
              return (await call('PUT', 'api/contents/big.bin', {type: 'file', format: 'base64', content: btoa(text)})).size;
            })()
            """), session);
        Assert.Equal(40 * 1024 * 1024, size);

        // Another user gets 404, as for a job that does not exist.
        await using (IBrowserContext bobContext = await NewContextAsync())
        {
            IPage bob = await bobContext.NewPageAsync();
            await BrowserSession.SignInAsync(bob, "bob", BrowserSession.Password);
            IAPIResponse denied = await bob.APIRequest.GetAsync(session + "api/status");
            Assert.Equal(404, denied.Status);
        }

        // A WebSocket from another origin is refused; one from the portal's opens, and signing out closes it.
        CookieContainer cookies = await CookiesOfAsync(aliceContext);
        string terminalSocket = session + "terminals/websocket/" + terminal;
        WebSocketException evil = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(terminalSocket, cookies, "https://evil.example"));
        Assert.Contains("403", evil.Message, StringComparison.Ordinal);
        using ClientWebSocket open = await ConnectAsync(terminalSocket, cookies, _portal.BaseAddress.GetLeftPart(UriPartial.Authority));
        await page.GotoAsync("/jobs/" + id.ToString(CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await AssertClosedAsync(open);

        // The owner swaps the socket for a link to another user's socket: the proxy refuses the stranger's app.
        await SymlinkSwapIsRefusedAsync(id, session);

        // Stop: the folder goes, and the GPU is free in the ledger.
        await using IBrowserContext again = await NewContextAsync();
        IPage stopPage = await again.NewPageAsync();
        await BrowserSession.SignInAsync(stopPage, "alice", BrowserSession.Password);
        await stopPage.GotoAsync("/jobs/" + id.ToString(CultureInfo.InvariantCulture));
        await stopPage.GetByLabel("Yes, stop this job").CheckAsync();
        await stopPage.GetByRole(AriaRole.Button, new() { Name = "Stop job" }).ClickAsync();
        await Eventually.UntilAsync(() => HeldGpusAsync(id), held => held == 0, TimeSpan.FromSeconds(60), "the session's GPU to be released");
        await Eventually.UntilAsync(() => Task.FromResult(Path.Exists(Path.Combine(JobHostFixture.SessionsDir, id.ToString(CultureInfo.InvariantCulture)))),
            exists => !exists, TimeSpan.FromSeconds(60), "the session folder to be removed");
    }

    /// <summary>fetch() with Jupyter's XSRF token (its _xsrf cookie, which Jupyter sets readable for this purpose).</summary>
    private const string JupyterFetch = """
        base => { const call = async (method, path, body) => {
          const xsrf = document.cookie.split('; ').find(c => c.startsWith('_xsrf='))?.slice(6) ?? '';
          const r = await fetch(base + path, {method, headers: {'X-XSRFToken': decodeURIComponent(xsrf), 'Content-Type': 'application/json'}, body: body ? JSON.stringify(body) : undefined});
          if (!r.ok) throw new Error(method + ' ' + path + ': ' + r.status); return r.json(); };
          return
        """;

    /// <summary>A function of the session's base path whose body may use <c>call(method, path, body)</c>.</summary>
    private static string Js(string expression) => JupyterFetch + " " + expression + " }";

    private async Task SymlinkSwapIsRefusedAsync(long id, string session)
    {
        string folder = Path.Combine(JobHostFixture.SessionsDir, id.ToString(CultureInfo.InvariantCulture));
        string strangers = Directory.CreateTempSubdirectory("pweb-stranger-").FullName;
        File.SetUnixFileMode(strangers, (UnixFileMode)Convert.ToInt32("755", 8));
        await Sh.CheckedAsync("/usr/bin/chown", $"{host.Bob.Uid}:{host.Bob.Gid}", strangers);
        // Bob's socket: sockbridge alone, as bob (what answers behind it does not matter: it must never be reached).
        using var bob = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/setpriv",
            ["--reuid", host.Bob.Uid.ToString(CultureInfo.InvariantCulture), "--regid", host.Bob.Gid.ToString(CultureInfo.InvariantCulture), "--init-groups", "--",
             JobHostFixture.BridgePath, strangers + "/http.sock", "9"]))!;
        try
        {
            await Eventually.UntilAsync(() => Task.FromResult(File.Exists(strangers + "/http.sock")), e => e, TimeSpan.FromSeconds(10), "bob's socket");
            // As alice, who owns her session folder.
            string aliceUid = host.Alice.Uid.ToString(CultureInfo.InvariantCulture), aliceGid = host.Alice.Gid.ToString(CultureInfo.InvariantCulture);
            await Sh.CheckedAsync("/usr/bin/setpriv", "--reuid", aliceUid, "--regid", aliceGid, "--init-groups", "--", "/bin/mv", folder + "/http.sock", folder + "/real.sock");
            await Sh.CheckedAsync("/usr/bin/setpriv", "--reuid", aliceUid, "--regid", aliceGid, "--init-groups", "--", "/bin/ln", "-s", strangers + "/http.sock", folder + "/http.sock");

            await using IBrowserContext context = await NewContextAsync();
            IPage page = await context.NewPageAsync();
            await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);
            // A connection opened before the swap may still be pooled, and it leads to alice's own app, which is
            // fine. The pool drops a connection idle for 30 s (SessionSocketClient); after that the proxy must open a
            // new one, whose peer (bob) is checked and refused. Continuous polling would keep the old one alive.
            int status = (await page.APIRequest.GetAsync(session + "api/status")).Status;
            for (int attempt = 0; status != 502 && attempt < 3; attempt++)
            {
                await Task.Delay(TimeSpan.FromSeconds(35));
                status = (await page.APIRequest.GetAsync(session + "api/status")).Status;
            }

            Assert.Equal(502, status);
        }
        finally
        {
            bob.Kill();
            await bob.WaitForExitAsync();
            Directory.Delete(strangers, recursive: true);
        }
    }

    private async Task<int> HeldGpusAsync(long id) =>
        await _portal.WithDbAsync(db => db.Set<GpuAllocation>().CountAsync(a => a.JobId == id && a.ReleasedAt == null));

    private async Task<CookieContainer> CookiesOfAsync(IBrowserContext context)
    {
        var jar = new CookieContainer();
        foreach (BrowserContextCookiesResult c in await context.CookiesAsync())
        {
            jar.Add(_portal.BaseAddress, new System.Net.Cookie(c.Name, c.Value, c.Path));
        }

        return jar;
    }

    private async Task<ClientWebSocket> ConnectAsync(string path, CookieContainer cookies, string origin)
    {
        var ws = new ClientWebSocket();
        ws.Options.Cookies = cookies;
        ws.Options.SetRequestHeader("Origin", origin);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await ws.ConnectAsync(new UriBuilder(new Uri(_portal.BaseAddress, path)) { Scheme = "ws" }.Uri, timeout.Token);
            return ws;
        }
        catch
        {
            ws.Dispose();
            throw;
        }
    }

    /// <summary>Text messages until one contains <paramref name="expected"/>, or all that came within a minute.</summary>
    private static async Task<string> ReadUntilAsync(ClientWebSocket ws, string expected)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var received = new StringBuilder();
        byte[] buffer = new byte[16 * 1024];
        try
        {
            while (!received.ToString().Contains(expected, StringComparison.Ordinal))
            {
                WebSocketReceiveResult result = await ws.ReceiveAsync(buffer, timeout.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                received.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            }
        }
        catch (OperationCanceledException)
        {
        }

        return received.ToString();
    }

    private static async Task AssertClosedAsync(ClientWebSocket ws)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        byte[] buffer = new byte[4096];
        try
        {
            // The terminal may still send output; read until the connection ends.
            while ((await ws.ReceiveAsync(buffer, timeout.Token)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (WebSocketException)
        {
        }

        Assert.False(timeout.IsCancellationRequested, "the WebSocket stayed open after signing out");
    }

    private Task<IBrowserContext> NewContextAsync() =>
        chromium.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _portal.BaseAddress.ToString() });

    /// <summary>Builds the image from Debian's packages (cached) and imports it into the user's storage once.</summary>
    internal static async Task EnsureJupyterImageAsync(JobTestUser user)
    {
        if ((await JobHostFixture.PodmanAsync(user, "image", "exists", JupyterImage)).ExitCode == 0)
        {
            return;
        }

        var built = await Sh.RunAsync(Path.Combine(JobHostFixture.RepositoryRoot(), "deploy/images/build-jupyter-image.sh"),
            ["--user", user.Name, "--tag", JupyterImage], timeout: TimeSpan.FromMinutes(15));
        Assert.True(built.ExitCode == 0, built.ToString());
    }
}

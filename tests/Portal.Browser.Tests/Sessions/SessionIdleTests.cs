using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Browser.Tests.Dashboard;
using Portal.Browser.Tests.Jobs;
using Portal.Core.Gpus;
using Portal.Core.Quotas;
using Portal.Core.Sessions;
using Portal.Data.Entities;
using Portal.Data.Entities.Jobs;
using Portal.Data.Quotas;
using Portal.Web.Services.Audit;
using Portal.Web.Services.Sessions.Idle;
using Portal.Web.Tests.Jobs;

namespace Portal.Browser.Tests.Sessions;

/// <summary>
/// Idle reclaim against a real Jupyter session (real launcher, rootless podman, Debian's Jupyter) with a short test
/// policy: an idle session is warned on its page with a live countdown, then stopped through the runner's cancel, its
/// GPU freed and the reason in its history; a busy kernel keeps a session with no traffic; the owner's keep keeps it
/// and is audited. The reclaimer looks every second in these tests (JobPortal's settings).
/// </summary>
[Collection(BrowserJobHostGroup.Name)]
public sealed class SessionIdleTests(JobHostFixture host, Chromium chromium) : IClassFixture<Chromium>, IAsyncLifetime
{
    private const string JupyterImage = "localhost/pweb-jupyter:deb12";
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(20);

    private JobHostPortal _portal = null!;

    public async Task InitializeAsync()
    {
        await SessionFlowTests.EnsureJupyterImageAsync(host.Alice);
        await JobHostFixture.RemoveAllContainersAsync(host.Alice);
        _portal = new JobHostPortal(host);
        await _portal.InitializeAsync();
        PortalUser alice = await _portal.CreateUserAsync("alice", BrowserSession.Password, linuxUser: host.Alice.Name);
        var gpus = JobHostFixture.GpuUuids.Select((uuid, i) => new GpuDevice(i, uuid, "Fake GPU", 81920, null, $"{JobHostFixture.GpuDir}/nvidia{i}", []));
        await _portal.Services.GetRequiredService<Portal.Data.Jobs.GpuStore>().UpsertGpusAsync(gpus);

        QuotaStore quotas = _portal.Services.GetRequiredService<QuotaStore>();
        int group = (await quotas.CreateGroupAsync("idle-test", new QuotaPolicy()))!.Value;
        Assert.True(await quotas.SetGroupIdleAsync(group, new SessionIdleSettings(Window, Grace, 5, TimeSpan.FromMinutes(10))));
        Assert.True(await quotas.AddMemberAsync(group, alice.Id));
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_portal).DisposeAsync();
        await JobHostFixture.RemoveAllContainersAsync(host.Alice);
    }

    [Fact]
    public async Task An_idle_session_is_warned_on_its_page_with_a_live_countdown_then_stopped_and_its_GPU_freed()
    {
        await using IBrowserContext context = await NewContextAsync();
        IPage page = await context.NewPageAsync();
        await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);
        long id = await StartSessionAsync(page, gpus: 1);
        Assert.Equal(1, await HeldGpusAsync(id));

        // Nobody opens it: its page (which asks Jupyter about itself without counting as use) warns after the window.
        ILocator countdown = page.GetByTestId("idle-countdown");
        await Assertions.Expect(page.GetByTestId("idle-warning")).ToBeVisibleAsync(new() { Timeout = 90_000 });
        string first = await countdown.InnerTextAsync();
        await Assertions.Expect(countdown).Not.ToHaveTextAsync(first, new() { Timeout = 10_000 });
        await Chromium.ScreenshotAsync(page, "session-idle-warning");

        // Then it stops, as its owner's Stop would: GPU back in the ledger, the reason in its history and the audit log.
        await Eventually.UntilAsync(() => HeldGpusAsync(id), held => held == 0, TimeSpan.FromSeconds(90), "the idle session's GPU to be released");
        JobRecord job = await _portal.WithDbAsync(db => db.Set<JobRecord>().SingleAsync(j => j.Id == id));
        Assert.Equal(JobStateColumn.Cancelled, job.State);
        string? reason = await _portal.WithDbAsync(db => db.Set<JobStateChangeRecord>()
            .Where(c => c.JobId == id && c.ToState == JobStateColumn.Cancelled).Select(c => c.Reason).SingleAsync());
        Assert.Matches("^cancelled by the portal \\(stopped: idle for [0-9]+ s\\)$", reason);
        // Audited once the stop returned, a moment after the ledger changed.
        AuditEvent? stop = await Eventually.UntilAsync(
            () => _portal.WithDbAsync(db => db.AuditEvents.SingleOrDefaultAsync(e => e.Action == AuditActions.SessionIdleStopped)),
            e => e is not null, TimeSpan.FromSeconds(30), "the idle stop in the audit log");
        Assert.True(stop!.Succeeded);
        Assert.Equal($"job {id} of {host.Alice.Name}", stop.Target);
    }

    [Fact]
    public async Task A_busy_kernel_keeps_a_session_nobody_watches_and_so_does_the_owners_audited_keep()
    {
        await using IBrowserContext context = await NewContextAsync();
        IPage page = await context.NewPageAsync();
        await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);
        long id = await StartSessionAsync(page, gpus: 0);
        string session = $"/s/{id}/";

        // A computation that runs for an hour, started over the kernel's WebSocket; then the tab goes (no traffic).
        await page.GotoAsync(session);
        string kernel = await page.EvaluateAsync<string>(StartBusyKernel, session);
        await page.GotoAsync("about:blank");
        DateTimeOffset busySince = DateTimeOffset.UtcNow;

        SessionIdleStatus kept = await StatusAfterAsync(id, busySince + Window + Grace);
        Assert.Equal(SessionIdlePhase.Active, kept.State.Phase);

        // The owner records why it should stay; it is audited and shown.
        await page.GotoAsync("/jobs/" + id.ToString(CultureInfo.InvariantCulture));
        await Assertions.Expect(page.GetByTestId("idle-policy")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.GetByTestId("idle-keep-reason").FillAsync("training until tomorrow");
        await page.GetByRole(AriaRole.Button, new() { Name = "Keep session" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("idle-kept")).ToContainTextAsync("training until tomorrow", new() { Timeout = 30_000 });
        AuditEvent keep = await _portal.WithDbAsync(db => db.AuditEvents.SingleAsync(e => e.Action == AuditActions.SessionKept));
        Assert.True(keep.Succeeded);
        Assert.Contains("training until tomorrow", keep.Detail, StringComparison.Ordinal);

        // The computation ends; nothing is used any more, and the keep alone keeps the session past window and grace.
        await page.GotoAsync(session);
        await page.EvaluateAsync(Interrupt, new object[] { session, kernel });
        await page.GotoAsync("about:blank");
        DateTimeOffset quietSince = DateTimeOffset.UtcNow;
        SessionIdleStatus stillKept = await StatusAfterAsync(id, quietSince + Window + Grace);
        Assert.Equal(SessionIdlePhase.Kept, stillKept.State.Phase);
        Assert.Equal("training until tomorrow", stillKept.KeepReason);
        Assert.Null(await _portal.WithDbAsync(db => db.AuditEvents.SingleOrDefaultAsync(e => e.Action == AuditActions.SessionIdleStopped)));
    }

    /// <summary>Creates a kernel, runs an hour's sleep in it over its WebSocket, waits until Jupyter reports it busy,
    /// closes the WebSocket; returns the kernel's id.</summary>
    private const string StartBusyKernel = """
        async base => {
          const xsrf = decodeURIComponent(document.cookie.split('; ').find(c => c.startsWith('_xsrf='))?.slice(6) ?? '');
          const r = await fetch(base + 'api/kernels', {method: 'POST', headers: {'X-XSRFToken': xsrf, 'Content-Type': 'application/json'}, body: JSON.stringify({name: 'python3'})});
          if (!r.ok) throw new Error('POST api/kernels: ' + r.status);
          const k = await r.json();
          const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + base + 'api/kernels/' + k.id + '/channels?session_id=idle-test');
          await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('kernel WebSocket failed')); });
          const execute = (id, code) => ws.send(JSON.stringify({header: {msg_id: id, username: '', session: 'idle-test', msg_type: 'execute_request', version: '5.3', date: new Date().toISOString()},
            parent_header: {}, metadata: {}, channel: 'shell', buffers: [],
            content: {code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true}}));
          // Jupyter learns a kernel's state from its own subscription to the kernel's status messages, which connects
          // late on a loaded machine and then misses what came before (seen once: the hour's "busy" never reached
          // api/kernels). Short runs until Jupyter reports the kernel idle show that it is listening.
          let listening = false;
          for (let i = 0; i < 120 && !listening; i++) {
            execute('idle-warm-' + i, 'pass');
            await new Promise(r => setTimeout(r, 500));
            const list = await (await fetch(base + 'api/kernels')).json();
            listening = list.some(x => x.id === k.id && x.execution_state === 'idle');
          }
          if (!listening) throw new Error('Jupyter never reported the kernel idle in api/kernels');
          const busy = new Promise(resolve => ws.onmessage = e => {
            const m = JSON.parse(e.data);
            if (m.msg_type === 'status' && m.content.execution_state === 'busy' && m.parent_header.msg_id === 'idle-run') resolve();
          });
          execute('idle-run', 'import time\ntime.sleep(3600)');
          await busy;
          // Up to 60 s: the kernel's first execution includes its start, which a loaded machine makes slow.
          for (let i = 0; i < 300; i++) {
            const list = await (await fetch(base + 'api/kernels')).json();
            if (list.some(x => x.id === k.id && x.execution_state === 'busy')) { ws.close(); return k.id; }
            await new Promise(r => setTimeout(r, 200));
          }
          throw new Error('the kernel never showed busy in api/kernels');
        }
        """;

    private const string Interrupt = """
        async ([base, kernel]) => {
          const xsrf = decodeURIComponent(document.cookie.split('; ').find(c => c.startsWith('_xsrf='))?.slice(6) ?? '');
          const r = await fetch(base + 'api/kernels/' + kernel + '/interrupt', {method: 'POST', headers: {'X-XSRFToken': xsrf}});
          if (!r.ok) throw new Error('interrupt: ' + r.status);
          for (let i = 0; i < 100; i++) {
            const list = await (await fetch(base + 'api/kernels')).json();
            if (list.some(x => x.id === kernel && x.execution_state === 'idle')) return;
            await new Promise(r => setTimeout(r, 200));
          }
          throw new Error('the kernel stayed busy');
        }
        """;

    /// <summary>The reclaimer's verdict from a pass that ran after <paramref name="moment"/> (by then an idle session
    /// would have been stopped); fails if the session stopped first.</summary>
    private async Task<SessionIdleStatus> StatusAfterAsync(long id, DateTimeOffset moment)
    {
        ISessionIdleSource idle = _portal.Services.GetRequiredService<ISessionIdleSource>();
        (SessionIdleStatus? Status, JobStateColumn State) seen = await Eventually.UntilAsync(
            async () => (Status: idle.Status(id), State: await _portal.WithDbAsync(db => db.Set<JobRecord>().Where(j => j.Id == id).Select(j => j.State).SingleAsync())),
            s => s.State != JobStateColumn.Running || s.Status?.EvaluatedAt > moment,
            moment - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(60), "a reclaim pass after " + moment.ToString("u", CultureInfo.InvariantCulture));
        Assert.Equal(JobStateColumn.Running, seen.State);
        return seen.Status!;
    }

    private static async Task<long> StartSessionAsync(IPage page, int gpus)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "New session", Exact = true }).ClickAsync();
        await page.GetByLabel("Image").FillAsync(JupyterImage);
        await page.Locator("#command").FillAsync("jupyter\nnotebook");
        await page.GetByLabel("GPUs", new() { Exact = true }).FillAsync(gpus.ToString(CultureInfo.InvariantCulture));
        await page.GetByLabel("Memory (MiB)").FillAsync("1024");
        await page.GetByLabel("Walltime (minutes)").FillAsync("20");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start session" }).ClickAsync();
        try
        {
            await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/jobs/[0-9]+$"));
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException("The session did not start; the page says: " + await page.InnerTextAsync("body"));
        }

        long id = long.Parse(new Uri(page.Url).AbsolutePath.Split('/')[^1], CultureInfo.InvariantCulture);
        await Assertions.Expect(page.GetByTestId("open-session")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        return id;
    }

    private async Task<int> HeldGpusAsync(long id) =>
        await _portal.WithDbAsync(db => db.Set<GpuAllocation>().CountAsync(a => a.JobId == id && a.ReleasedAt == null));

    private Task<IBrowserContext> NewContextAsync() =>
        chromium.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _portal.BaseAddress.ToString() });
}

using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Browser.Tests.Dashboard;
using Portal.Browser.Tests.Jobs;
using Portal.Core.Gpus;
using Portal.Core.Quotas;
using Portal.Core.Reclaim;
using Portal.Data.Entities;
using Portal.Data.Quotas;
using Portal.Web.Services.Audit;
using Portal.Web.Tests.Components.Gpus;
using Portal.Web.Tests.Jobs;

namespace Portal.Browser.Tests.Gpus;

/// <summary>
/// GPU stewardship as people meet it in the browser, on a box of two fake GPUs (a fake nvidia-smi replaying the H100
/// capture with every reading at 0 %, sampled every 250 ms and rolled up every 2 s) and real rootless jobs: an idle
/// job's page warns with a live countdown and its owner's keep withdraws the warning; a booking made on the bookings
/// page shows on everyone's dashboard, and another user's clashing booking is refused naming it.
/// </summary>
[Collection(BrowserJobHostGroup.Name)]
public sealed class GpuStewardshipTests(JobHostFixture host, Chromium chromium) : IClassFixture<Chromium>, IAsyncLifetime
{
    // A long grace, so the warning stays on the page while the test reads it and keeps the job.
    private static readonly IdlePolicy Policy = new(5, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10), ReclaimAction.Stop, TimeSpan.FromMinutes(30));

    private readonly FakeGpuBox _box = FakeGpuBox.Create([new FakeGpu(GpuCaptures.H100), new FakeGpu(GpuCaptures.H100)], JobHostFixture.GpuUuids);
    private JobHostPortal _portal = null!;

    private static DateTime Tomorrow => DateTime.UtcNow.Date.AddDays(1);

    public async Task InitializeAsync()
    {
        await JobHostFixture.RemoveAllContainersAsync(host.Alice);
        _box.SetRounds(idle: _box.Uuids, load: _box.Uuids);
        _portal = new JobHostPortal(host, new Dictionary<string, string>
        {
            ["Portal:Gpus:SearchPath"] = _box.SearchPath,
            ["Portal:Gpus:Interval"] = "00:00:00.25",
            ["Portal:Gpus:RollupPeriod"] = "00:00:02",
            ["Portal:Gpus:RollupRetention"] = "00:10:00",
            ["Portal:Gpus:JobIdleCheckInterval"] = "00:00:00.5",
        });
        await _portal.InitializeAsync();
        PortalUser alice = await _portal.CreateUserAsync("alice", BrowserSession.Password, linuxUser: host.Alice.Name);
        await _portal.CreateUserAsync("bob", BrowserSession.Password, linuxUser: host.Bob.Name);
        var gpus = JobHostFixture.GpuUuids.Select((uuid, i) => new GpuDevice(i, uuid, "Fake GPU", 81920, null, $"{JobHostFixture.GpuDir}/nvidia{i}", []));
        await _portal.Services.GetRequiredService<Portal.Data.Jobs.GpuStore>().UpsertGpusAsync(gpus);

        QuotaStore quotas = _portal.Services.GetRequiredService<QuotaStore>();
        int group = (await quotas.CreateGroupAsync("job-idle-test", new QuotaPolicy()))!.Value;
        Assert.True(await quotas.SetGroupJobIdleAsync(group, Policy));
        Assert.True(await quotas.AddMemberAsync(group, alice.Id));
    }

    public async Task DisposeAsync()
    {
        // The portal first: it stops the fake nvidia-smi before its folder goes.
        await ((IAsyncLifetime)_portal).DisposeAsync();
        await JobHostFixture.RemoveAllContainersAsync(host.Alice);
        _box.Dispose();
    }

    [Fact]
    public async Task An_idle_jobs_page_warns_with_a_live_countdown_and_the_owners_keep_withdraws_the_warning()
    {
        await using IBrowserContext context = await NewContextAsync();
        IPage page = await context.NewPageAsync();
        var errors = BrowserSession.CollectErrors(page);
        await BrowserSession.SignInAsync(page, "alice", BrowserSession.Password);

        await page.GotoAsync("/jobs/new");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("idle");
        await page.GetByLabel("Image").FillAsync(JobHostFixture.Image);
        await page.GetByLabel("Command, one argument per line").FillAsync("sleep\n600");
        await page.GetByLabel("GPUs", new() { Exact = true }).FillAsync("1");
        await page.GetByLabel("Memory (MiB)").FillAsync("256");
        await page.GetByLabel("Walltime (minutes)").FillAsync("20");
        await page.GetByRole(AriaRole.Button, new() { Name = "Launch" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/jobs/[0-9]+$"));
        long id = long.Parse(new Uri(page.Url).AbsolutePath.Split('/')[^1], CultureInfo.InvariantCulture);

        // Its GPU reads 0 % in every sample: once the 10-second window is full the page warns, and counts down live.
        ILocator warning = page.GetByTestId("job-idle-warning");
        await Assertions.Expect(warning).ToBeVisibleAsync(new() { Timeout = 90_000 });
        await Assertions.Expect(warning).ToContainTextAsync("under 5 %");
        ILocator countdown = page.GetByTestId("job-idle-countdown");
        string first = await countdown.InnerTextAsync();
        await Assertions.Expect(countdown).Not.ToHaveTextAsync(first, new() { Timeout = 10_000 });
        await Assertions.Expect(page.GetByTestId("job-gpu-minutes").Locator("tbody tr").First).ToContainTextAsync("0 %");
        await Chromium.ScreenshotAsync(page, "job-idle-warning");

        await page.GetByTestId("job-idle-keep-reason").FillAsync("loading the next dataset");
        await page.GetByRole(AriaRole.Button, new() { Name = "Keep job" }).ClickAsync();

        await Assertions.Expect(page.GetByTestId("job-idle-kept")).ToContainTextAsync("loading the next dataset", new() { Timeout = 30_000 });
        await Assertions.Expect(warning).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("job-idle-keep-reason")).ToHaveCountAsync(0);
        AuditEvent keep = await _portal.WithDbAsync(db => db.AuditEvents.SingleAsync(e => e.Action == AuditActions.JobKept));
        Assert.True(keep.Succeeded);
        Assert.Equal($"job {id}", keep.Target);
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public async Task A_booking_made_on_the_bookings_page_shows_on_everyones_dashboard_and_a_clash_is_refused_naming_it()
    {
        await using IBrowserContext aliceContext = await NewContextAsync();
        IPage alice = await aliceContext.NewPageAsync();
        var errors = BrowserSession.CollectErrors(alice);
        await BrowserSession.SignInAsync(alice, "alice", BrowserSession.Password);
        await alice.GetByRole(AriaRole.Link, new() { Name = "GPU bookings", Exact = true }).ClickAsync();
        await Assertions.Expect(alice.Locator("#booking-calendar")).ToBeVisibleAsync();

        await BookAsync(alice, JobHostFixture.GpuUuids[0], "paper deadline");

        await Assertions.Expect(alice.Locator("#booking-message")).ToContainTextAsync("Booked:");
        ILocator mine = alice.Locator("li.booking-block.mine");
        await Assertions.Expect(mine).ToHaveCountAsync(1);
        long booking = long.Parse((await mine.GetAttributeAsync("data-booking-id"))!, CultureInfo.InvariantCulture);
        await Assertions.Expect(mine).ToContainTextAsync("09:00–18:00");
        await Chromium.ScreenshotAsync(alice, "bookings");

        // Bob's dashboard shows it under the GPUs, as alice's (not marked his).
        await using IBrowserContext bobContext = await NewContextAsync();
        IPage bob = await bobContext.NewPageAsync();
        await BrowserSession.SignInAsync(bob, "bob", BrowserSession.Password);
        await ShowTomorrowsWeekAsync(bob);
        ILocator block = bob.Locator($"li.booking-block[data-booking-id='{booking}']");
        await Assertions.Expect(block).ToContainTextAsync("alice");
        await Assertions.Expect(block).Not.ToHaveClassAsync(new Regex("mine"));
        await Assertions.Expect(bob.Locator("#week-bookings")).ToContainTextAsync("(paper deadline)");
        await Chromium.ScreenshotAsync(bob, "dashboard-bookings");

        // The same GPU at the same time: refused, naming alice's booking; nothing is booked.
        await bob.Locator("#book-gpus").ClickAsync();
        await bob.WaitForURLAsync("**/bookings");
        await BookAsync(bob, JobHostFixture.GpuUuids[0], "");

        await Assertions.Expect(bob.Locator("#booking-gpus-error")).ToContainTextAsync($"booking {booking} (alice,");
        await Assertions.Expect(bob.Locator("#booking-message")).ToContainTextAsync("Not booked");
        Assert.Equal(1, await _portal.WithDbAsync(db => db.Set<Portal.Data.Entities.Bookings.GpuBookingRecord>().CountAsync()));
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    /// <summary>Books one GPU for tomorrow 09:00 to 18:00 UTC on the bookings page's form.</summary>
    private static async Task BookAsync(IPage page, string gpu, string note)
    {
        await page.Locator("#booking-gpu").SelectOptionAsync(gpu);
        await page.Locator("#booking-start").FillAsync(Tomorrow.AddHours(9).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture));
        await page.Locator("#booking-end").FillAsync(Tomorrow.AddHours(18).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture));
        await page.Locator("#booking-note").FillAsync(note);
        await page.GetByRole(AriaRole.Button, new() { Name = "Book", Exact = true }).ClickAsync();
    }

    /// <summary>The dashboard's calendar opens on this week; tomorrow is in the next one when today is Sunday.</summary>
    private static async Task ShowTomorrowsWeekAsync(IPage page)
    {
        await Assertions.Expect(page.Locator("#booking-calendar")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        if (Tomorrow.DayOfWeek == DayOfWeek.Monday)
        {
            string heading = await page.Locator("#calendar-title").InnerTextAsync();
            await page.Locator("#week-next").ClickAsync();
            await Assertions.Expect(page.Locator("#calendar-title")).Not.ToHaveTextAsync(heading);
        }
    }

    private Task<IBrowserContext> NewContextAsync() =>
        chromium.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _portal.BaseAddress.ToString() });
}

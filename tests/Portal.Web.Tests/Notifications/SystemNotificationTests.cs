using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core.Notifications;
using Portal.Data.Bookings;
using Portal.Data.Jobs;
using Portal.Data.Notifications;
using Portal.Web.Services.Bookings;
using Portal.Web.Tests.Data;

namespace Portal.Web.Tests.Notifications;

/// <summary>The notifications that are not about a job, end to end from their maker to the bell, a real SMTP server
/// and a real webhook receiver: a foreign GPU process to every administrator, a booking opening soon to its holder. No
/// other user hears of either.</summary>
public sealed class SystemNotificationTests
{
    private const string Gpu = "GPU-0000-test";
    private const string Case = "PID 4242 (python) of bob (uid 6002), outside any job, computes on a GPU no job holds, 512 MiB. Ended with SIGKILL.";

    [Fact]
    public async Task A_foreign_GPU_process_reaches_every_administrator_on_every_channel_and_no_other_user()
    {
        await using var world = await NotificationWorld.CreateAsync();
        var alice = await world.AddUserAsync("alice", 6001);
        var olga = await world.AddUserAsync("olga", 6003);
        var bob = await world.AddUserAsync("bob", 6002);
        await world.Database.MakeAdminsAsync(alice, olga);
        await world.SubscribeAsync(alice, "alice");
        await world.SubscribeAsync(olga, "olga", slack: true);
        await world.SubscribeAsync(bob, "bob");
        var notifications = new SystemNotifications(world.Database, world.Clock);

        Assert.Equal(2, await notifications.NotifyForeignGpuProcessAsync(Gpu, Case));
        Assert.Equal(4, await world.DispatchAsync());

        Assert.Empty(await world.Notifications.ListAsync(bob, 50));
        var bell = Assert.Single(await world.Notifications.ListAsync(alice, 50));
        Assert.Equal((NotificationKinds.ForeignGpuProcess, (long?)null, (string?)null, Gpu, Case), (bell.Kind, bell.JobId, bell.State, bell.Subject, bell.Detail));
        Assert.Single(await world.Notifications.ListAsync(olga, 50));

        var mail = world.Smtp.Messages();
        Assert.Equal(["alice@example.org", "olga@example.org"], mail.Select(m => m.To.ToString()).Order());
        var toAlice = mail.Single(m => m.To.ToString() == "alice@example.org");
        Assert.Equal($"A process computes on GPU {Gpu} outside its allocation.", toAlice.Subject);
        Assert.Contains(Case, toAlice.TextBody, StringComparison.Ordinal);
        Assert.Contains("https://gpu.example.org/admin/gpus", toAlice.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("/jobs/", toAlice.TextBody, StringComparison.Ordinal);

        var post = Assert.Single(world.Receiver.For("/alice"));
        Assert.True(post.SignatureValid);
        using var body = JsonDocument.Parse(post.Body);
        Assert.Equal("ForeignGpuProcess", body.RootElement.GetProperty("kind").GetString());
        Assert.False(body.RootElement.TryGetProperty("job", out _), post.Body);
        var subject = body.RootElement.GetProperty("subject");
        Assert.Equal(("gpu", Gpu, Case, "https://gpu.example.org/admin/gpus"), (
            subject.GetProperty("type").GetString(), subject.GetProperty("id").GetString(), subject.GetProperty("detail").GetString(),
            subject.GetProperty("url").GetString()));

        var slack = Assert.Single(world.Receiver.For("/olga"));
        using var slackBody = JsonDocument.Parse(slack.Body);
        var text = Assert.Single(slackBody.RootElement.EnumerateObject());
        Assert.Equal("text", text.Name);
        Assert.Equal($"A process computes on GPU {Gpu} outside its allocation. {Case} https://gpu.example.org/admin/gpus", text.Value.GetString());
        Assert.Empty(world.Receiver.For("/bob"));
        Assert.DoesNotContain(mail, m => m.To.ToString() == "bob@example.org");
    }

    [Fact]
    public async Task An_administrator_who_turned_the_kind_off_everywhere_is_not_told()
    {
        await using var world = await NotificationWorld.CreateAsync();
        var alice = await world.AddUserAsync("alice", 6001);
        await world.Database.MakeAdminsAsync(alice);
        await world.Notifications.SaveSettingsAsync(alice, s => s.PortalKinds = NotificationKinds.All & ~NotificationKinds.ForeignGpuProcess);

        Assert.Equal(0, await new SystemNotifications(world.Database, world.Clock).NotifyForeignGpuProcessAsync(Gpu, Case));

        Assert.Empty(await world.Notifications.ListAsync(alice, 50));
    }

    [Fact]
    public async Task A_booking_holder_is_told_once_shortly_before_it_opens_even_after_a_restart_and_nobody_else_is()
    {
        await using var world = await NotificationWorld.CreateAsync();
        var alice = await world.AddUserAsync("alice", 6001);
        var bob = await world.AddUserAsync("bob", 6002);
        await world.Database.MakeAdminsAsync(bob);
        await world.SubscribeAsync(alice, "alice");
        await world.SubscribeAsync(bob, "bob");
        await new GpuStore(world.Database, world.Clock).UpsertGpusAsync([TestDatabase.Gpu(0), TestDatabase.Gpu(1)]);
        var bookings = new BookingStore(world.Database, world.Clock);
        var opens = NotificationWorld.Start.AddHours(2);
        var booking = (await bookings.CreateAsync(
            new NewBooking(alice, 0, [Gpu, "GPU-0001-test"], opens, opens.AddHours(3), "paper deadline"), "alice", exempt: true)).Booking!;
        var notifier = Notifier(world);

        Assert.Empty(await notifier.NotifyDueAsync(CancellationToken.None));
        world.Clock.Advance(TimeSpan.FromHours(2) - TimeSpan.FromMinutes(15) - TimeSpan.FromTicks(10));
        Assert.Empty(await notifier.NotifyDueAsync(CancellationToken.None));
        world.Clock.Advance(TimeSpan.FromTicks(10));
        Assert.Equal([booking.Id], await notifier.NotifyDueAsync(CancellationToken.None));
        Assert.Empty(await notifier.NotifyDueAsync(CancellationToken.None));
        // A restarted portal reads the marker on the booking.
        Assert.Empty(await Notifier(world).NotifyDueAsync(CancellationToken.None));
        Assert.Equal(2, await world.DispatchAsync());

        Assert.Empty(await world.Notifications.ListAsync(bob, 50));
        var bell = Assert.Single(await world.Notifications.ListAsync(alice, 50));
        var detail = "GPU 0 (GPU-0000-test) and GPU 1 (GPU-0001-test) from 2026-12-06 11:00 to 14:00 UTC. Note: paper deadline";
        Assert.Equal((NotificationKinds.BookingStarting, (long?)null, booking.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), detail),
            (bell.Kind, bell.JobId, bell.Subject, bell.Detail));
        var mail = Assert.Single(world.Smtp.Messages());
        Assert.Equal("alice@example.org", mail.To.ToString());
        Assert.Equal($"Your GPU booking #{booking.Id} starts soon.", mail.Subject);
        Assert.Contains(detail, mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("https://gpu.example.org/bookings", mail.TextBody, StringComparison.Ordinal);
        var post = Assert.Single(world.Receiver.For("/alice"));
        using var body = JsonDocument.Parse(post.Body);
        Assert.False(body.RootElement.TryGetProperty("job", out _), post.Body);
        Assert.Equal("booking", body.RootElement.GetProperty("subject").GetProperty("type").GetString());
        Assert.Empty(world.Receiver.For("/bob"));
    }

    [Fact]
    public async Task A_booking_made_inside_the_notice_is_told_at_once_and_one_already_open_never()
    {
        await using var world = await NotificationWorld.CreateAsync();
        var alice = await world.AddUserAsync("alice", 6001);
        await new GpuStore(world.Database, world.Clock).UpsertGpusAsync([TestDatabase.Gpu(0), TestDatabase.Gpu(1)]);
        var bookings = new BookingStore(world.Database, world.Clock);
        var now = NotificationWorld.Start;
        var soon = (await bookings.CreateAsync(new NewBooking(alice, 0, [Gpu], now.AddMinutes(5), now.AddHours(1), null), "alice", exempt: true)).Booking!;
        var open = (await bookings.CreateAsync(new NewBooking(alice, 0, ["GPU-0001-test"], now, now.AddHours(1), null), "admin", exempt: true)).Booking!;

        Assert.Equal([soon.Id], await Notifier(world).NotifyDueAsync(CancellationToken.None));
        world.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Empty(await Notifier(world).NotifyDueAsync(CancellationToken.None));

        var bell = Assert.Single(await world.Notifications.ListAsync(alice, 50));
        Assert.Equal(soon.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), bell.Subject);
        Assert.NotEqual(soon.Id, open.Id);
    }

    [Fact]
    public async Task The_database_refuses_a_job_kind_without_its_job_and_another_kind_with_a_job()
    {
        await using var world = await NotificationWorld.CreateAsync();
        var alice = await world.AddUserAsync("alice", 6001);

        var noJob = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => world.Database.ExecuteAsync(
            $"INSERT INTO \"Notifications\" (\"UserId\", \"Kind\", \"JobName\", \"State\", \"Subject\", \"CreatedAt\", \"ShowInPortal\") VALUES ('{alice}', 'JobEnded', '', 'Failed', 'x', now(), true)"));
        var withJob = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => world.Database.ExecuteAsync(
            $"INSERT INTO \"Notifications\" (\"UserId\", \"Kind\", \"JobId\", \"JobName\", \"Subject\", \"CreatedAt\", \"ShowInPortal\") VALUES ('{alice}', 'ForeignGpuProcess', 7, '', '{Gpu}', now(), true)"));

        Assert.Equal(("CK_Notifications_Subject", "CK_Notifications_Subject"), (noJob.ConstraintName, withJob.ConstraintName));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Portal.Data.Entities.Notifications.NotificationRecord(
            alice, NotificationKinds.ForeignGpuProcess, 7, "", "Running", null, null, NotificationWorld.Start, true));
    }

    private static BookingStartingNotifier Notifier(NotificationWorld world) => new(
        new SystemNotifications(world.Database, world.Clock), Microsoft.Extensions.Options.Options.Create(new BookingOptions()), world.Clock,
        NullLogger<BookingStartingNotifier>.Instance);
}

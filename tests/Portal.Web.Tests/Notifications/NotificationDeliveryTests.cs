using System.Net;
using System.Text.Json;
using Portal.Core.Jobs;
using Portal.Core.Notifications;
using static Portal.Web.Tests.Data.JobStoreFixtures;

namespace Portal.Web.Tests.Notifications;

/// <summary>Email and webhook delivery of job notifications, end to end from the job store's moves to a real SMTP
/// server and a real HTTP receiver, with outages, retries and their waits.</summary>
public sealed class NotificationDeliveryTests
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_jobs_moves_reach_only_its_owner_in_the_bell_by_email_and_by_webhook()
    {
        await using var world = await NotificationWorld.CreateAsync();
        var alice = await world.AddUserAsync("alice", 6001);
        var bob = await world.AddUserAsync("bob", 6002);
        var aliceSecret = await world.SubscribeAsync(alice, "alice");
        await world.SubscribeAsync(bob, "bob");
        var alicesJob = await SubmitAsync(world.Jobs, alice, Spec(gpus: 0, name: "alice-train"));
        var bobsJob = await SubmitAsync(world.Jobs, bob, Spec(gpus: 0, name: "bob-train"));

        await RunAsync(world, alicesJob, exitCode: 3);
        Assert.True((await world.Jobs.CommitStartAsync(bobsJob, [])).Applied);
        Assert.True((await world.Jobs.FinishAsync(bobsJob, JobState.Failed, null, "Error: localhost/nope: image not known")).Applied);
        Assert.Equal(6, await world.DispatchAsync());

        var alicesBell = await world.Notifications.ListAsync(alice, 50);
        Assert.Equal([NotificationKinds.JobEnded, NotificationKinds.JobStarted], alicesBell.Select(n => n.Kind));
        Assert.All(alicesBell, n => Assert.Equal(alicesJob, n.JobId));
        Assert.Equal(3, alicesBell[0].ExitCode);
        var bobsBell = Assert.Single(await world.Notifications.ListAsync(bob, 50));
        Assert.Equal((NotificationKinds.JobFailedToStart, bobsJob), (bobsBell.Kind, bobsBell.JobId));

        var mail = world.Smtp.Messages();
        Assert.Equal(3, mail.Count);
        var toAlice = mail.Where(m => m.To.ToString() == "alice@example.org").ToList();
        Assert.Equal(2, toAlice.Count);
        Assert.All(toAlice, m => Assert.DoesNotContain("bob", m.TextBody + m.Subject, StringComparison.Ordinal));
        Assert.Contains(toAlice, m => m.Subject == $"Job #{alicesJob} (alice-train) failed with exit code 3.");
        var toBob = Assert.Single(mail, m => m.To.ToString() == "bob@example.org");
        Assert.Equal($"Job #{bobsJob} (bob-train) could not start.", toBob.Subject);
        Assert.Contains("The image is not in your account's image storage.", toBob.TextBody, StringComparison.Ordinal);
        Assert.Contains($"https://gpu.example.org/jobs/{bobsJob}", toBob.TextBody, StringComparison.Ordinal);

        var alicesPosts = world.Receiver.For("/alice");
        Assert.Equal(2, alicesPosts.Count);
        Assert.All(alicesPosts, p => Assert.True(p.SignatureValid));
        Assert.All(alicesPosts, p => Assert.Equal(alicesJob, JsonDocument.Parse(p.Body).RootElement.GetProperty("job").GetProperty("id").GetInt64()));
        var bobsPost = Assert.Single(world.Receiver.For("/bob"));
        using var bobsBody = JsonDocument.Parse(bobsPost.Body);
        Assert.Equal("JobFailedToStart", bobsBody.RootElement.GetProperty("kind").GetString());
        Assert.Equal(bobsJob, bobsBody.RootElement.GetProperty("job").GetProperty("id").GetInt64());
        Assert.NotEqual("", aliceSecret);
    }

    [Fact]
    public async Task An_SMTP_outage_keeps_the_email_due_and_after_recovery_it_is_delivered_exactly_once()
    {
        await using var world = await NotificationWorld.CreateAsync();
        var alice = await world.AddUserAsync("alice", 6001);
        await world.Notifications.SaveSettingsAsync(alice, s => s.EmailKinds = NotificationKinds.JobEnded);
        var job = await SubmitAsync(world.Jobs, alice, Spec(gpus: 0));
        await world.Smtp.StopAsync();

        await RunAsync(world, job, exitCode: 0);
        Assert.Equal(1, await world.DispatchAsync());
        world.Clock.Advance(First - TimeSpan.FromTicks(10));
        Assert.Equal(0, await world.DispatchAsync());

        var problem = Assert.Single(await world.Notifications.LastProblemsAsync(alice));
        Assert.Equal((NotificationChannel.Email, 1, false, (DateTimeOffset?)null), (problem.Channel, problem.Attempts, problem.GaveUp, problem.DeliveredAt));
        Assert.Contains($"SMTP 127.0.0.1:{world.Smtp.Port}", problem.Error, StringComparison.Ordinal);
        Assert.Empty(world.Smtp.Messages());

        await world.Smtp.StartAgainAsync();
        world.Clock.Advance(TimeSpan.FromTicks(10));
        Assert.Equal(1, await world.DispatchAsync());
        world.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await world.DispatchAsync());

        var message = Assert.Single(world.Smtp.Messages());
        Assert.Equal($"Job #{job} (train) succeeded.", message.Subject);
        Assert.Equal("alice@example.org", message.To.ToString());
        Assert.NotNull(Assert.Single(await world.Notifications.LastProblemsAsync(alice)).DeliveredAt);
    }

    [Fact]
    public async Task A_failing_webhook_is_retried_after_doubling_waits_with_the_same_signed_delivery()
    {
        await using var world = await NotificationWorld.CreateAsync();
        var alice = await world.AddUserAsync("alice", 6001);
        await world.SubscribeAsync(alice, "flaky", NotificationKinds.JobStarted, failFirst: 2);
        await world.Database.ExecuteAsync("UPDATE \"AspNetUsers\" SET \"Email\" = NULL");
        var job = await SubmitAsync(world.Jobs, alice, Spec(gpus: 0));
        Assert.True((await world.Jobs.CommitStartAsync(job, [])).Applied);
        Assert.True((await world.Jobs.MarkRunningAsync(job, "c0ffee")).Applied);

        Assert.Equal(1, await world.DispatchAsync());
        world.Clock.Advance(First - TimeSpan.FromTicks(10));
        Assert.Equal(0, await world.DispatchAsync());
        world.Clock.Advance(TimeSpan.FromTicks(10));
        Assert.Equal(1, await world.DispatchAsync());
        world.Clock.Advance(2 * First - TimeSpan.FromTicks(10));
        Assert.Equal(0, await world.DispatchAsync());
        world.Clock.Advance(TimeSpan.FromTicks(10));
        Assert.Equal(1, await world.DispatchAsync());
        world.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await world.DispatchAsync());

        var posts = world.Receiver.For("/flaky");
        Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.NoContent], posts.Select(p => p.Answered));
        Assert.All(posts, p => Assert.True(p.SignatureValid));
        Assert.Single(posts.Select(p => p.Delivery).Distinct());
        Assert.Equal(3, posts.Select(p => p.Timestamp).Distinct().Count());
        var problem = Assert.Single(await world.Notifications.LastProblemsAsync(alice));
        Assert.Equal(3, problem.Attempts);
        Assert.Equal("The webhook answered 503 Service Unavailable.", problem.Error);
        Assert.Empty(world.Smtp.Messages());
    }

    [Fact]
    public async Task A_webhook_that_never_answers_well_is_given_up_after_the_last_attempt_with_its_error_kept()
    {
        await using var world = await NotificationWorld.CreateAsync(maxAttempts: 2);
        var alice = await world.AddUserAsync("alice", 6001);
        await world.SubscribeAsync(alice, "down", NotificationKinds.JobStarted, failFirst: 100);
        var job = await SubmitAsync(world.Jobs, alice, Spec(gpus: 0));
        Assert.True((await world.Jobs.CommitStartAsync(job, [])).Applied);
        Assert.True((await world.Jobs.MarkRunningAsync(job, "c0ffee")).Applied);

        Assert.Equal(2, await world.DispatchAsync());
        world.Clock.Advance(First);
        Assert.Equal(1, await world.DispatchAsync());
        world.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, await world.DispatchAsync());

        Assert.Equal(2, world.Receiver.For("/down").Count);
        var webhook = Assert.Single(await world.Notifications.LastProblemsAsync(alice), p => p.Channel == NotificationChannel.Webhook);
        Assert.True(webhook.GaveUp);
        Assert.Equal(2, webhook.Attempts);
        Assert.Equal("The webhook answered 503 Service Unavailable.", webhook.Error);
    }

    [Fact]
    public async Task The_Slack_and_Teams_payload_is_one_text_field_naming_the_job_and_its_end()
    {
        await using var world = await NotificationWorld.CreateAsync();
        var alice = await world.AddUserAsync("alice", 6001);
        await world.SubscribeAsync(alice, "slack", NotificationKinds.JobEnded, slack: true);
        var job = await SubmitAsync(world.Jobs, alice, Spec(gpus: 0));

        await RunAsync(world, job, exitCode: 0);
        await world.DispatchAsync();

        var post = Assert.Single(world.Receiver.For("/slack"));
        Assert.True(post.SignatureValid);
        using var body = JsonDocument.Parse(post.Body);
        var text = Assert.Single(body.RootElement.EnumerateObject());
        Assert.Equal("text", text.Name);
        Assert.Equal($"Job #{job} (train) succeeded. https://gpu.example.org/jobs/{job}", text.Value.GetString());
    }

    [Fact]
    public async Task A_webhook_on_loopback_is_refused_unless_the_administrator_allows_the_address()
    {
        await using var world = await NotificationWorld.CreateAsync(maxAttempts: 1, allowLoopback: false);
        var alice = await world.AddUserAsync("alice", 6001);
        await world.SubscribeAsync(alice, "inside", NotificationKinds.JobStarted);
        var job = await SubmitAsync(world.Jobs, alice, Spec(gpus: 0));
        Assert.True((await world.Jobs.CommitStartAsync(job, [])).Applied);
        Assert.True((await world.Jobs.MarkRunningAsync(job, "c0ffee")).Applied);

        await world.DispatchAsync();

        Assert.Empty(world.Receiver.Received);
        var webhook = Assert.Single(await world.Notifications.LastProblemsAsync(alice), p => p.Channel == NotificationChannel.Webhook);
        Assert.Contains("127.0.0.1, a loopback, link-local, private or reserved address", webhook.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_channel_turned_off_after_the_move_sends_nothing_and_the_bell_still_lists_it()
    {
        await using var world = await NotificationWorld.CreateAsync();
        var alice = await world.AddUserAsync("alice", 6001);
        await world.SubscribeAsync(alice, "later-off", NotificationKinds.JobStarted);
        var job = await SubmitAsync(world.Jobs, alice, Spec(gpus: 0));
        Assert.True((await world.Jobs.CommitStartAsync(job, [])).Applied);
        Assert.True((await world.Jobs.MarkRunningAsync(job, "c0ffee")).Applied);

        await world.Notifications.SaveSettingsAsync(alice, s => s.RemoveWebhook());
        await world.Notifications.SaveSettingsAsync(alice, s => s.EmailKinds = NotificationKinds.None);
        Assert.Equal(2, await world.DispatchAsync());

        Assert.Empty(world.Receiver.Received);
        Assert.Empty(world.Smtp.Messages());
        Assert.Single(await world.Notifications.ListAsync(alice, 10));
        Assert.Equal(1, await world.Notifications.UnreadCountAsync(alice));
    }

    private static async Task RunAsync(NotificationWorld world, long job, int exitCode)
    {
        Assert.True((await world.Jobs.CommitStartAsync(job, [])).Applied);
        Assert.True((await world.Jobs.MarkRunningAsync(job, "c0ffee" + job)).Applied);
        Assert.True((await world.Jobs.FinishAsync(job, exitCode == 0 ? JobState.Succeeded : JobState.Failed, exitCode)).Applied);
    }
}

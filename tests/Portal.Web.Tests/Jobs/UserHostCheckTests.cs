using Microsoft.Extensions.DependencyInjection;
using Portal.Web.Services.Admin;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Jobs;

/// <summary>Host check for one account and the job-group flag, against the real launcher and real accounts.</summary>
[Collection(JobHostGroup.Name)]
public sealed class UserHostCheckTests(JobHostFixture fixture)
{
    private const string Outsider = "ptest-web-outsider";

    [Fact]
    public async Task An_account_in_the_job_group_passes_every_step_up_to_a_throwaway_container()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 0);
        var portal = t.StartPortal();
        await using AsyncServiceScope scope = portal.Services.CreateAsyncScope();
        // A pod leaves podman's own infra image (localhost/podman-pause) in the store, listed first: its entrypoint
        // waits forever, so the check must not pick it for a container that should exit.
        ShResult pod = await JobHostFixture.PodmanAsync(fixture.Alice, "pod", "create", "--name", "hostcheck-infra");
        await JobHostFixture.PodmanAsync(fixture.Alice, "pod", "rm", "--force", "hostcheck-infra");
        Assert.True(pod.ExitCode == 0, pod.Stderr);

        IReadOnlyList<UserCheckStep> steps = await scope.ServiceProvider.GetRequiredService<UserHostCheck>().RunAsync(fixture.Alice.Name, CancellationToken.None);

        Assert.All(steps, s => Assert.True(s.Ok, $"{s.Name}: {s.Detail}"));
        Assert.DoesNotContain("podman-pause", steps[^1].Detail, StringComparison.Ordinal);
        Assert.Equal("throwaway container", steps[^1].Name);
        ShResult left = await JobHostFixture.PodmanAsync(fixture.Alice, "ps", "--all", "--format", "{{.Names}}");
        Assert.DoesNotContain("hostcheck-", left.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_account_outside_the_job_group_fails_at_the_launcher_with_the_usermod_that_fixes_it_and_is_flagged()
    {
        await using IAsyncDisposable outsider = await TestLinuxUsers.HoldAsync(Outsider);
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 0);
        var portal = t.StartPortal();
        await using AsyncServiceScope scope = portal.Services.CreateAsyncScope();
        JobGroupMembership groups = scope.ServiceProvider.GetRequiredService<JobGroupMembership>();

        IReadOnlyList<UserCheckStep> steps = await scope.ServiceProvider.GetRequiredService<UserHostCheck>().RunAsync(Outsider, CancellationToken.None);
        string? group = await groups.JobGroupAsync(CancellationToken.None);
        IReadOnlySet<string> outside = await JobGroupMembership.OutsideAsync(JobHostFixture.Group, [fixture.Alice.Name, Outsider], CancellationToken.None);

        UserCheckStep failed = Assert.Single(steps, s => !s.Ok);
        Assert.Equal("launcher acts as the account", failed.Name);
        Assert.Equal($"Add the account to the job group, as root: usermod -aG {JobHostFixture.Group} {Outsider}", failed.Fix);
        Assert.Equal(JobHostFixture.Group, group);
        Assert.Equal([Outsider], outside);
    }
}

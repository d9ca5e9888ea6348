using Portal.Core.Jobs;
using Portal.Web.Services.JobForms;

namespace Portal.Web.Tests.Unit;

public sealed class JobFailureHintsTests
{
    [Fact]
    public void A_missing_image_points_to_the_launch_forms_list_of_ones_images_and_names_the_account()
    {
        var hint = JobFailureHints.Explain(JobState.Failed, null,
            "podman failed (exit code 125): Error: docker.io/library/nope:latest: image not known", "alice")!;

        Assert.Equal(JobFailureKind.ImageMissing, hint.Kind);
        Assert.Equal("/jobs/new", hint.LinkHref);
        Assert.Contains("'alice'", hint.Hint, StringComparison.Ordinal);
        Assert.Contains("image not known", hint.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public void Running_out_of_memory_says_to_raise_memory()
    {
        var hint = JobFailureHints.Explain(JobState.Failed, 137, JobResourceUsage.OutOfMemoryReason(64L * 1024 * 1024, 64), "alice")!;

        Assert.Equal(JobFailureKind.OutOfMemory, hint.Kind);
        Assert.Contains("limit 64 MiB", hint.Summary, StringComparison.Ordinal);
        Assert.Contains("more memory", hint.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_timed_out_job_says_its_walltime_was_reached() =>
        Assert.Equal(JobFailureKind.WalltimeReached, JobFailureHints.Explain(JobState.TimedOut, null, "walltime reached", "alice")!.Kind);

    [Fact]
    public void An_account_outside_the_job_group_asks_the_admin_to_add_it_by_name()
    {
        var hint = JobFailureHints.Explain(JobState.Failed, null, "'alice' is not a member of the group 'portal-users'.", "alice")!;

        Assert.Equal(JobFailureKind.NotInJobGroup, hint.Kind);
        Assert.Contains("add 'alice' to the group 'portal-users'", hint.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_subordinate_ids_ask_the_admin_for_ranges()
    {
        var hint = JobFailureHints.Explain(JobState.Failed, null, "cannot find mappings for user alice: No subuid ranges found", "alice")!;

        Assert.Equal(JobFailureKind.NoSubordinateIds, hint.Kind);
        Assert.Contains("/etc/subuid", hint.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_refusal_reads_as_a_start_failure_with_its_detail_kept() =>
        Assert.Equal(JobFailureKind.LauncherRefused,
            JobFailureHints.Explain(JobState.Failed, null, "Mount source '/data/x': '/data' is a symlink.", "alice")!.Kind);

    [Fact]
    public void A_non_zero_exit_gives_the_code_and_points_to_the_log()
    {
        var hint = JobFailureHints.Explain(JobState.Failed, 3, "exit code 3", "alice")!;

        Assert.Equal(JobFailureKind.NonZeroExit, hint.Kind);
        Assert.Contains("code 3", hint.Summary, StringComparison.Ordinal);
        Assert.Contains("log", hint.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lost_job_says_so() =>
        Assert.Equal(JobFailureKind.Lost, JobFailureHints.Explain(JobState.Lost, null, "container gone", "alice")!.Kind);

    [Theory]
    [InlineData(JobState.Queued)]
    [InlineData(JobState.Running)]
    [InlineData(JobState.Succeeded)]
    [InlineData(JobState.Cancelled)]
    public void States_that_are_not_failures_have_no_hint(JobState state) =>
        Assert.Null(JobFailureHints.Explain(state, 0, "cancelled by alice", "alice"));
}

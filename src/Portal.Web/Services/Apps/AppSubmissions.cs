using System.Globalization;
using Portal.Core.Apps;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data.Jobs;
using Portal.Jobs;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;
using Portal.Web.Services.JobForms;

namespace Portal.Web.Services.Apps;

/// <summary>What the portal understood from an app file: the spec and the job it is queued as, or every problem.</summary>
public sealed record AppReview(AppSpec? Spec, JobSpec? Job, IReadOnlyList<AppProblem> Problems)
{
    public bool IsValid => Spec is not null && Job is not null && Problems.Count == 0;
}

/// <summary>
/// "New app", for the page, the API and (through the API) the command line alike: read the file (the pure parser),
/// check it as a job under the submitter's quota (the job store's own validator and counts), and queue it as one job.
/// Every refused submission is audited with its first problems; nothing is started by a review or a refusal.
/// </summary>
public sealed class AppSubmissions(JobStore jobs, JobRunner runner, AuditLog audit, MountRootResolver mountRoots)
{
    /// <summary>The walltime an app gets when none is given.</summary>
    public static readonly TimeSpan DefaultWalltime = TimeSpan.FromMinutes(60);

    public async Task<AppReview> ReviewAsync(CurrentUser user, string file, string? name, TimeSpan? walltime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var (review, submission) = await PrepareAsync(user, file, name, walltime, cancellationToken);
        if (submission is null)
        {
            return review;
        }

        var errors = await jobs.CheckAsync(submission, cancellationToken);
        return errors.Count == 0 ? review : review with { Problems = ToProblems(errors) };
    }

    /// <summary>Queues the app; the id, or null with the review's problems (audited).</summary>
    public async Task<(long? Id, AppReview Review)> SubmitAsync(CurrentUser user, string file, string? name, TimeSpan? walltime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var (review, submission) = await PrepareAsync(user, file, name, walltime, cancellationToken);
        if (submission is not null)
        {
            var result = await jobs.SubmitAsync(submission, cancellationToken);
            if (result.JobId is { } id)
            {
                runner.RequestPass(SchedulingCause.JobSubmitted);
                await audit.WriteAsync(AuditActions.AppSubmitted, user.Actor, true, "job " + id.ToString(CultureInfo.InvariantCulture),
                    string.Join(", ", review.Spec!.Services.Select(s => $"{s.Name}={s.Image}")), cancellationToken);
                return (id, review);
            }

            review = review with { Problems = ToProblems(result.Errors) };
        }

        await audit.WriteAsync(AuditActions.AppRefused, user.Actor, false, review.Spec?.Name ?? name ?? "app",
            string.Join("; ", review.Problems.Take(5).Select(p => p.ToString())), cancellationToken);
        return (null, review);
    }

    private async Task<(AppReview Review, JobSubmission? Submission)> PrepareAsync(
        CurrentUser user, string file, string? name, TimeSpan? walltime, CancellationToken cancellationToken)
    {
        var parsed = AppFileParser.Parse(file ?? "");
        if (parsed.Spec is not { } spec)
        {
            return (new AppReview(null, null, parsed.Problems), null);
        }

        var jobName = string.IsNullOrWhiteSpace(name) ? spec.Name ?? "app" : name.Trim();
        var job = AppSpecValidator.AsAppJob(spec, new AppSubmission(jobName, walltime ?? DefaultWalltime), file!);
        var roots = user.LinuxUserName is { } linuxUser ? await mountRoots.ForAsync(linuxUser, cancellationToken) : [];
        return (new AppReview(spec, job, []), new JobSubmission(user.Id, job, user.IsAdmin, roots));
    }

    /// <summary>The validator's field errors: an app's own carry their line and key in the text already.</summary>
    private static List<AppProblem> ToProblems(IReadOnlyList<FieldError> errors) =>
        [.. errors.Select(e => new AppProblem(0, e.Field == AppSpecValidator.FileField ? "" : e.Field, e.Message))];
}

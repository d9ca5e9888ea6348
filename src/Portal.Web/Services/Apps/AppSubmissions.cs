using System.Globalization;
using Portal.Core.Apps;
using Portal.Core.Jobs;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;
using Portal.Web.Services.Jobs;

namespace Portal.Web.Services.Apps;

/// <summary>What the portal understood from an app file: the spec and the job it is queued as, or every problem.</summary>
public sealed record AppReview(AppSpec? Spec, JobSpec? Job, IReadOnlyList<AppProblem> Problems)
{
    public bool IsValid => Spec is not null && Job is not null && Problems.Count == 0;
}

/// <summary>
/// "New app", for the page, the API and (through the API) the command line alike: read the file (the pure parser),
/// then check it and queue it as one job through <see cref="JobSubmissions"/>, the way every job enters the queue
/// (the same validator, quota, mount roots and host capacity). Every refused submission is audited with its first
/// problems; nothing is started by a review or a refusal.
/// </summary>
internal sealed class AppSubmissions(JobSubmissions submissions, AuditLog audit)
{
    /// <summary>The walltime an app gets when none is given.</summary>
    public static readonly TimeSpan DefaultWalltime = TimeSpan.FromMinutes(60);

    public async Task<AppReview> ReviewAsync(CurrentUser user, string file, string? name, TimeSpan? walltime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var review = Prepare(file, name, walltime);
        if (review.Job is not { } job)
        {
            return review;
        }

        var errors = await submissions.CheckAsync(user, job, cancellationToken);
        return errors.Count == 0 ? review : review with { Problems = ToProblems(errors) };
    }

    /// <summary>Queues the app; the id, or null with the review's problems (audited).</summary>
    public async Task<(long? Id, AppReview Review)> SubmitAsync(CurrentUser user, string file, string? name, TimeSpan? walltime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var review = Prepare(file, name, walltime);
        if (review.Job is { } job)
        {
            var result = await submissions.SubmitAsync(user, job, cancellationToken);
            if (result.JobId is { } id)
            {
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

    /// <summary>The file read by the pure parser: the app and the job it is queued as, or every problem at its line.</summary>
    private static AppReview Prepare(string file, string? name, TimeSpan? walltime)
    {
        var parsed = AppFileParser.Parse(file ?? "");
        if (parsed.Spec is not { } spec)
        {
            return new AppReview(null, null, parsed.Problems);
        }

        var jobName = string.IsNullOrWhiteSpace(name) ? spec.Name ?? "app" : name.Trim();
        var job = AppSpecValidator.AsAppJob(spec, new AppSubmission(jobName, walltime ?? DefaultWalltime), file!);
        return new AppReview(spec, job, []);
    }

    /// <summary>The validator's field errors: an app's own carry their line and key in the text already.</summary>
    private static List<AppProblem> ToProblems(IReadOnlyList<FieldError> errors) =>
        [.. errors.Select(e => new AppProblem(0, e.Field == AppSpecValidator.FileField ? "" : e.Field, e.Message))];
}

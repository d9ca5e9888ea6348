namespace Portal.Jobs;

/// <summary>
/// Log scopes for job work: every line logged inside one, by any component (the launcher client, EF Core, the
/// runner itself), carries the job id and its owner, so the structured log (JSON, with scopes) can be filtered
/// by job or by user even where a message does not name them.
/// </summary>
internal static class JobLogScopes
{
    private static readonly Func<ILogger, long, string, IDisposable?> Job =
        LoggerMessage.DefineScope<long, string>("Job {JobId} of {User}");

    private static readonly Func<ILogger, string, IDisposable?> User =
        LoggerMessage.DefineScope<string>("Jobs of {User}");

    /// <summary>Lines about one job of <paramref name="user"/> (its Linux account).</summary>
    public static IDisposable? BeginJobScope(this ILogger logger, long jobId, string user) => Job(logger, jobId, user);

    /// <summary>Lines about all jobs of one user, e.g. reconciling their containers.</summary>
    public static IDisposable? BeginUserScope(this ILogger logger, string user) => User(logger, user);
}

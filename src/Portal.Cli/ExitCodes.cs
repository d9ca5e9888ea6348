namespace Portal.Cli;

/// <summary>
/// What the <c>portal</c> command's exit status means, so scripts can branch on it. Following a job
/// (<c>submit --follow</c>, <c>logs -f</c>) exits with the job's own exit code once it ends, or with one of the
/// job codes below when it ended without one.
/// </summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The portal refused the request (invalid job, quota, job already ended, ...).</summary>
    public const int Refused = 1;

    /// <summary>The command line itself is wrong.</summary>
    public const int Usage = 2;

    /// <summary>Not logged in, or the token is invalid, expired, revoked or lacks the scope.</summary>
    public const int Unauthorized = 3;

    /// <summary>No such job (or not yours).</summary>
    public const int NotFound = 4;

    /// <summary>The portal could not be reached or failed.</summary>
    public const int Unavailable = 5;

    /// <summary>Too many requests for this token; retry after a while.</summary>
    public const int RateLimited = 6;

    /// <summary>The followed job ran past its walltime (as timeout(1) reports).</summary>
    public const int JobTimedOut = 124;

    /// <summary>The followed job failed without an exit code of its own (could not start, or was lost).</summary>
    public const int JobFailedToRun = 125;

    /// <summary>Ctrl-C while following: the command detached, the job goes on.</summary>
    public const int Detached = 130;

    /// <summary>The followed job was cancelled (stopped with SIGTERM: 128 + 15).</summary>
    public const int JobCancelled = 143;
}

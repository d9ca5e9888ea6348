using System.Net;
using Portal.Api.Contracts;

namespace Portal.Cli.Client;

/// <summary>The portal answered with an error (its Problem Details, when it sent some), or could not be reached.</summary>
public sealed class PortalApiException : Exception
{
    public PortalApiException(HttpStatusCode? status, ApiProblem? problem, string message, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
        Problem = problem;
    }

    public PortalApiException()
        : this(null, null, "The portal failed.")
    {
    }

    public PortalApiException(string message)
        : this(null, null, message)
    {
    }

    public PortalApiException(string message, Exception innerException)
        : this(null, null, message, innerException)
    {
    }

    /// <summary>Null when no answer came (connection refused, timeout).</summary>
    public HttpStatusCode? Status { get; }

    public ApiProblem? Problem { get; }

    public int ExitCode => Status switch
    {
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.Unauthorized,
        HttpStatusCode.NotFound or HttpStatusCode.Gone => ExitCodes.NotFound,
        HttpStatusCode.TooManyRequests => ExitCodes.RateLimited,
        null => ExitCodes.Unavailable,
        { } s when (int)s >= 500 => ExitCodes.Unavailable,
        _ => ExitCodes.Refused,
    };

    /// <summary>Every line a person should read: the detail and each field error.</summary>
    public IEnumerable<string> Lines()
    {
        yield return Message;
        foreach (var (field, messages) in Problem?.Errors ?? new Dictionary<string, string[]>())
        {
            foreach (var message in messages)
            {
                yield return field.Length == 0 ? "  " + message : $"  {field}: {message}";
            }
        }
    }
}

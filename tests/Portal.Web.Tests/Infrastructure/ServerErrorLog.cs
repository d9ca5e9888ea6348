using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>
/// The errors the portal under test logged (level Error and above, with their exceptions, and what antiforgery and
/// authentication said at Information and above), so that a test that sees only a 400 or a 500 from the outside (a
/// browser's fetch) can say what the server said.
/// </summary>
public sealed class ServerErrorLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _errors = new();

    public IReadOnlyList<string> Errors => [.. _errors];

    /// <summary>The errors as one text for a failure message; "(none)" when there are none.</summary>
    public override string ToString() => _errors.IsEmpty ? "(none)" : string.Join(Environment.NewLine, _errors);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _errors);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> errors) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && (logLevel >= LogLevel.Error || category.Contains("Antiforgery", StringComparison.Ordinal) || category.Contains("Authentication", StringComparison.Ordinal));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                errors.Enqueue($"{category}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}");
            }
        }
    }
}

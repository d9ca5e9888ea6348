using Microsoft.Extensions.Logging;

namespace Portal.Bench.Dashboard.Headless;

/// <summary>The SignalR client's warnings and errors (a message that failed to bind, a handler that threw), printed
/// once per distinct message so 200 circuits with the same problem print one line.</summary>
internal sealed class WarningLog : ILoggerProvider, ILogger
{
    private readonly HashSet<string> _seen = [];

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var message = $"{logLevel}: {formatter(state, exception)} {exception?.Message}";
        lock (_seen)
        {
            if (!_seen.Add(message))
            {
                return;
            }
        }

        Console.Error.WriteLine($"client: {message}");
    }

    public void Dispose()
    {
    }
}

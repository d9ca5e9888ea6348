using System.Collections.Concurrent;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>Keeps the one-time passwords the portal would print, so a test can sign in with them.</summary>
public sealed class CapturingSecretSink : IOneTimeSecretSink
{
    public ConcurrentQueue<(string UserName, string Password, string? LinuxUserName)> Shown { get; } = new();

    public void Show(string userName, string password, string? linuxUserName) => Shown.Enqueue((userName, password, linuxUserName));
}

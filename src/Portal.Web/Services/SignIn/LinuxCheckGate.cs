using Microsoft.Extensions.Options;

namespace Portal.Web.Services.SignIn;

/// <summary>
/// Bounds the Linux password checks running at once (each one a root launcher hashing a password): a flood of sign-ins
/// waits here instead of filling the box with processes.
/// </summary>
public sealed class LinuxCheckGate(IOptions<PasswordSignInOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentLinuxChecks, options.Value.MaxConcurrentLinuxChecks);

    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        return new Slot(_slots);
    }

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}

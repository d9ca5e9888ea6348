using Bunit;

namespace Portal.Web.Tests.Components.Gpus;

/// <summary>A bUnit context for the GPU components; JavaScript calls (none are expected) answer with defaults.</summary>
public abstract class GpuComponentTest : BunitContext, IAsyncLifetime
{
    protected GpuComponentTest()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // The context's services are disposed asynchronously (xUnit's own synchronous Dispose call afterwards then finds
    // them already disposed).
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}

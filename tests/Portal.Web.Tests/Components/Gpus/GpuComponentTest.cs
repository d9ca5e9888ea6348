using Bunit;
using MudBlazor.Services;

namespace Portal.Web.Tests.Components.Gpus;

/// <summary>A bUnit context with MudBlazor's services; its JavaScript calls answer with defaults (light theme).</summary>
public abstract class GpuComponentTest : BunitContext, IAsyncLifetime
{
    protected GpuComponentTest()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // Some MudBlazor services are only IAsyncDisposable, so the container must be disposed asynchronously
    // (xUnit's own synchronous Dispose call afterwards then finds it already disposed).
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}

using Microsoft.Extensions.Time.Testing;
using Portal.Core.Gpus;

namespace Portal.Core.Tests.Gpus;

public sealed class SamplerDisposeTests
{
    [Fact]
    public async Task Disposing_twice_at_the_same_time_stops_once_and_neither_caller_fails()
    {
        string emptyDirectory = Directory.CreateTempSubdirectory("no-nvidia-smi").FullName;
        var sampler = new NvidiaSmiSampler(new NvidiaSmiSamplerOptions { SearchPath = emptyDirectory }, new FakeTimeProvider());
        sampler.Start();

        await Task.WhenAll(sampler.DisposeAsync().AsTask(), sampler.DisposeAsync().AsTask());
        await sampler.DisposeAsync();

        Directory.Delete(emptyDirectory);
    }
}

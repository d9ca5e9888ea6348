using Microsoft.AspNetCore.Hosting;
using Portal.Web.Tests.Jobs;

namespace Portal.Browser.Tests.Jobs;

/// <summary>The job tests' host (users pweb-alice and pweb-bob, their busybox image, the test launcher), shared with
/// the web tests' job runner collection; its lock keeps the two test processes from using it at once.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserJobHostGroup : ICollectionFixture<JobHostFixture>
{
    public const string Name = "browser job host";
}

/// <summary>The portal on Kestrel with the job runner driving the test launcher at short intervals, as the web tests'
/// <see cref="JobPortal"/> does, plus any <paramref name="settings"/> of the test's own (a fake nvidia-smi, short
/// idle-reclaim periods).</summary>
public sealed class JobHostPortal(JobHostFixture host, IReadOnlyDictionary<string, string>? settings = null) : KestrelPortal
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        foreach (var (key, value) in JobPortal.Settings("unused", host.LauncherPath, DataDirectory))
        {
            if (key is not "ConnectionStrings:Portal" and not "Portal:DataDirectory")
            {
                builder.UseSetting(key, value);
            }
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }
    }
}

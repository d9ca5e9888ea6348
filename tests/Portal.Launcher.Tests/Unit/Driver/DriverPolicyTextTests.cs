using System.Text;
using Portal.Launcher.Driver;
using Portal.Launcher.Policy;

namespace Portal.Launcher.Tests.Unit.Driver;

/// <summary>The install's refresh rewrites only the policy's driver field; the administrator's text stays as written.</summary>
public sealed class DriverPolicyTextTests
{
    private const string Policy = """
        {
          // the box's policy
          "version": 1, "minUid": 1000, "group": "portal-users", "podman": "/usr/bin/podman", "runtime": "runc",
          "gpus": [{ "id": "GPU-1", "node": "/dev/nvidia0" }],
          "pidsLimit": 1024, "logMaxBytes": 1048576, "auditLog": "/var/log/a.log"
        }
        """;

    private static readonly DriverPolicy Driver = new()
    {
        Version = "590.48.01",
        Files = [new DriverFile { Path = "/usr/lib/x86_64-linux-gnu/libcuda.so.590.48.01", Links = ["libcuda.so", "libcuda.so.1"] }, new DriverFile { Path = "/usr/bin/nvidia-smi" }],
    };

    private static string With(string policy, DriverPolicy driver) =>
        Encoding.UTF8.GetString(DriverPolicyText.WithDriver(Encoding.UTF8.GetBytes(policy), driver));

    [Fact]
    public void APolicyWithoutTheField_GetsIt_AndKeepsEveryOtherLineAndComment()
    {
        string updated = With(Policy, Driver);

        LauncherPolicy read = PolicyReader.Parse(Encoding.UTF8.GetBytes(updated));
        Assert.Equal(Driver.Version, read.Driver!.Version);
        Assert.Equal(Driver.Files, read.Driver.Files, (a, b) => a.Path == b.Path && a.Links.SequenceEqual(b.Links));
        Assert.Contains("// the box's policy", updated, StringComparison.Ordinal);
        Assert.Equal(Policy, updated.Replace("\n  \"driver\": " + DriverPolicyText.ToJson(Driver) + ",", "", StringComparison.Ordinal));
    }

    [Fact]
    public void ARefresh_ReplacesTheOldField_AndOnlyIt()
    {
        string old = With(Policy, new DriverPolicy { Version = "580.1.2", Files = [new DriverFile { Path = "/usr/lib/x86_64-linux-gnu/libcuda.so.580.1.2" }] });

        string updated = With(old, Driver);

        Assert.DoesNotContain("580.1.2", updated, StringComparison.Ordinal);
        Assert.Equal(1, updated.Split("\"driver\"").Length - 1);
        Assert.Equal("590.48.01", PolicyReader.Parse(Encoding.UTF8.GetBytes(updated)).Driver!.Version);
        Assert.Equal(With(Policy, Driver), updated);
    }

    [Fact]
    public void AFieldNamedDriverInsideAnotherObject_IsNotTheOneReplaced()
    {
        string policy = Policy.Replace("\"auditLog\"", "\"sessions\": {\"dir\": \"/run/s\", \"group\": \"driver\"}, \"auditLog\"", StringComparison.Ordinal);

        string updated = With(policy, Driver);

        Assert.Contains("\"group\": \"driver\"}", updated, StringComparison.Ordinal);
        Assert.NotNull(PolicyReader.Parse(Encoding.UTF8.GetBytes(updated)).Driver);
    }
}

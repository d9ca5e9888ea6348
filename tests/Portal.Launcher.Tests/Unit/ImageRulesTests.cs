using System.Text;
using Portal.Launcher.Podman;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Tests.Unit;

/// <summary>image-pull reaches only the policy's registries; image-remove takes a reference or an id, never an option.</summary>
public sealed class ImageRulesTests
{
    private static readonly string[] Allowed = ["127.0.0.1:5000", "registry.example.org"];

    [Theory]
    [InlineData("127.0.0.1:5000/ptest-busybox:latest")]
    [InlineData("127.0.0.1:5000/team/tool")]
    [InlineData("registry.example.org/library/python:3.12")]
    [InlineData("registry.example.org/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void PullProblem_IsNull_ForAReferenceOnAnAllowedRegistry(string reference) =>
        Assert.Null(ImageRules.PullProblem(reference, Allowed));

    [Theory]
    [InlineData("docker.io/library/busybox", "not allowed")]
    [InlineData("127.0.0.1:5001/x", "not allowed")]
    [InlineData("registry.example.org.evil.example/x", "not allowed")]
    [InlineData("busybox", "names no registry")]
    [InlineData("library/busybox:latest", "names no registry")]
    [InlineData("oci:layout", "names no registry")]
    [InlineData("docker-archive:/tmp/image.tar", "not an image reference")]
    [InlineData("containers-storage:localhost/x", "not an image reference")]
    [InlineData("docker://127.0.0.1:5000/x", "not an image reference")]
    [InlineData("--tls-verify=false", "not an image reference")]
    [InlineData("", "not an image reference")]
    public void PullProblem_Refuses_ShortNamesTransportsOptionsAndOtherRegistries(string reference, string expected) =>
        Assert.Contains(expected, ImageRules.PullProblem(reference, Allowed), StringComparison.Ordinal);

    [Fact]
    public void PullProblem_RefusesEveryPull_WhenThePolicyAllowsNoRegistry() =>
        Assert.Equal("This server allows pulls from no registry.", ImageRules.PullProblem("127.0.0.1:5000/x", []));

    [Theory]
    [InlineData("localhost/ptest-busybox:latest", true)]
    [InlineData("0123456789ab", true)]
    [InlineData("--force", false)]
    [InlineData("-a", false)]
    [InlineData("/tmp/x", false)]
    [InlineData("", false)]
    public void RemoveProblem_AcceptsReferencesAndIds_Only(string reference, bool accepted) =>
        Assert.Equal(accepted, ImageRules.RemoveProblem(reference) is null);

    [Fact]
    public void RegistriesConf_ListsExactlyThePolicysRegistries_AndNoSearchList()
    {
        LauncherPolicy policy = RequestValidatorTests.Policy with
        {
            Registries = [new PolicyRegistry { Host = "127.0.0.1:5000", Insecure = true }, new PolicyRegistry { Host = "registry.example.org" }],
        };

        string conf = PodmanConfig.Registries(policy);

        Assert.Contains("unqualified-search-registries = []", conf, StringComparison.Ordinal);
        Assert.Contains("location = \"127.0.0.1:5000\"\ninsecure = true", conf.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("location = \"registry.example.org\"\ninsecure = false", conf.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(2, conf.Split("[[registry]]").Length - 1);
    }

    [Fact]
    public void Validator_RefusesAPullFromARegistryThePolicyLeavesOut()
    {
        LauncherPolicy policy = RequestValidatorTests.Policy with { Registries = [new PolicyRegistry { Host = "127.0.0.1:5000", Insecure = true }] };
        var request = new LauncherRequest { Version = 1, Verb = LauncherVerbs.ImagePull, User = "alice", Image = new ImageSpec { Reference = "docker.io/library/busybox" } };

        var e = Assert.Throws<RequestRefusedException>(() => RequestValidator.Validate(request, policy));

        Assert.Contains("'docker.io' is not allowed", e.Message, StringComparison.Ordinal);
        RequestValidator.Validate(request with { Image = new ImageSpec { Reference = "127.0.0.1:5000/x:1" } }, policy);
    }

    [Fact]
    public void PolicyReader_ReadsRegistries()
    {
        LauncherPolicy p = PolicyLoader.Parse(Encoding.UTF8.GetBytes(Policy("""[{"host":"127.0.0.1:5000","insecure":true},{"host":"registry.example.org"}]""")), "p.json");

        Assert.Equal([new PolicyRegistry { Host = "127.0.0.1:5000", Insecure = true }, new PolicyRegistry { Host = "registry.example.org" }], p.Registries);
    }

    [Theory]
    [InlineData("""[{"host":"registry.example.org","insecure":true}]""", "may not be insecure")]
    [InlineData("""[{"host":"busybox"}]""", "is not a registry host")]
    [InlineData("""[{"host":"docker://x.org"}]""", "is not a registry host")]
    [InlineData("""[{"host":"x.org"},{"host":"x.org"}]""", "unique")]
    public void PolicyLoader_RefusesBadRegistries(string registries, string expected)
    {
        var e = Assert.Throws<PolicyException>(() => PolicyLoader.Parse(Encoding.UTF8.GetBytes(Policy(registries)), "p.json"));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    private static string Policy(string registries) => $$"""
        {"version":1,"minUid":1000,"group":"portal-users","podman":"/usr/bin/podman","runtime":"runc",
         "pidsLimit":1024,"logMaxBytes":1048576,"auditLog":"/var/log/a.log","registries":{{registries}}}
        """;
}

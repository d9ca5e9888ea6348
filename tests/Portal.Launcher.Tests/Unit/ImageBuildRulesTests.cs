using Portal.Launcher.Podman;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Tests.Unit;

/// <summary>image-build takes a clean folder under the user's roots, a Containerfile by file name, and NAME[:TAG] that is
/// always stored as localhost/NAME; podman gets nothing else from the request.</summary>
public sealed class ImageBuildRulesTests
{
    private static readonly MountRoot[] Roots = [new("/home/alice", false), new("/srv/datasets", true)];

    [Theory]
    [InlineData("my-model", "localhost/my-model:latest")]
    [InlineData("my-model:v1", "localhost/my-model:v1")]
    [InlineData("team/tool:2.0_rc-1", "localhost/team/tool:2.0_rc-1")]
    [InlineData("0day", "localhost/0day:latest")]
    public void TagProblem_IsNull_AndTheImageIsLocal_ForNameAndTag(string tag, string reference)
    {
        Assert.Null(ImageBuildRules.TagProblem(tag));
        Assert.Equal(reference, ImageBuildRules.LocalReference(tag));
    }

    [Theory]
    [InlineData("", "Name the image")]
    [InlineData("-t", "is not NAME[:TAG]")]
    [InlineData("--volume=/:/host", "is not NAME[:TAG]")]
    [InlineData("MyModel", "is not NAME[:TAG]")]
    [InlineData("my model", "is not NAME[:TAG]")]
    [InlineData("a..b", "is not NAME[:TAG]")]
    [InlineData("../x", "is not NAME[:TAG]")]
    [InlineData("x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "is not NAME[:TAG]")]
    [InlineData("quay.io/evil/x:1", "names the registry 'quay.io'")]
    [InlineData("localhost/x", "names the registry 'localhost'")]
    [InlineData("127.0.0.1:5000/x", "names the registry '127.0.0.1:5000'")]
    [InlineData("docker://x", "transport 'docker:'")]
    [InlineData("oci:x", "transport 'oci:'")]
    [InlineData("containers-storage:x", "transport 'containers-storage:'")]
    [InlineData("docker-archive:x", "transport 'docker-archive:'")]
    public void TagProblem_Refuses_OptionsUpperCaseRegistriesDigestsAndTransports(string tag, string expected) =>
        Assert.Contains(expected, ImageBuildRules.TagProblem(tag), StringComparison.Ordinal);

    [Fact]
    public void TagProblem_Refuses_ANameTooLongForAReference() =>
        Assert.NotNull(ImageBuildRules.TagProblem(new string('a', ImageReference.MaxLength)));

    [Theory]
    [InlineData("/home/alice/project")]
    [InlineData("/home/alice")]
    [InlineData("/srv/datasets/recipes")]
    public void ContextProblem_IsNull_ForAFolderUnderARoot(string context) => Assert.Null(ImageBuildRules.ContextProblem(context, Roots));

    [Theory]
    [InlineData("/etc", "outside the folders you may use")]
    [InlineData("/home/alicex", "outside the folders you may use")]
    [InlineData("/home/alice/../bob", "must be an absolute path")]
    [InlineData("/home/alice/./x", "must be an absolute path")]
    [InlineData("home/alice/x", "must be an absolute path")]
    [InlineData("/home/alice/x/", "must be an absolute path")]
    [InlineData("/home/alice/a,b", "must be an absolute path")]
    [InlineData("", "must be an absolute path")]
    public void ContextProblem_Refuses_RelativeDottedAndOutsideFolders(string context, string expected) =>
        Assert.Contains(expected, ImageBuildRules.ContextProblem(context, Roots), StringComparison.Ordinal);

    [Theory]
    [InlineData(null)]
    [InlineData("Containerfile")]
    [InlineData("Dockerfile.gpu")]
    [InlineData("build_2")]
    public void ContainerfileProblem_IsNull_ForAFileName(string? name) => Assert.Null(ImageBuildRules.ContainerfileProblem(name));

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("sub/Containerfile")]
    [InlineData("/etc/passwd")]
    [InlineData("-f")]
    [InlineData("Container file")]
    public void ContainerfileProblem_Refuses_PathsAndOptions(string name) =>
        Assert.Contains("must be a file name inside the build folder", ImageBuildRules.ContainerfileProblem(name), StringComparison.Ordinal);

    [Fact]
    public void Check_NamesEachBadField() =>
        Assert.Equal(["Context", "Containerfile", "Tag"],
            ImageBuildRules.Check(new BuildSpec { Context = "/etc", Containerfile = "../x", Tag = "X" }, Roots).Select(p => p.Field));

    [Fact]
    public void TheBuildArgv_HasNoNetworkNoPullAndTheContextAfterTheEndOfOptions()
    {
        List<string> argv = PodmanArgs.Build(["/usr/bin/podman"], "/home/alice/p/Containerfile", "localhost/x:latest", "/home/alice/p");

        Assert.Equal(["/usr/bin/podman", "build", "--network", "none", "--pull=never", "--layers", "--force-rm",
            "--file", "/home/alice/p/Containerfile", "--tag", "localhost/x:latest", "--", "/home/alice/p"], argv);
    }

    [Theory]
    [InlineData("i 2026-12-06T11:22:40.219534842Z 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("o 2026-12-06T11:22:40.219534842Z 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("i 2026-12-06T11:22:40.219534842Z not-an-id", false)]
    public void BuildFrame_TakesTheIdOnlyFromTheLaunchersOwnFrame(string frame, bool isId) =>
        Assert.Equal(isId, BuildFrame.ImageId(frame) is not null);
}

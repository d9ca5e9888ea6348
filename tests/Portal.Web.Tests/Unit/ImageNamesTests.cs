using Portal.Launcher.Protocol;
using Portal.Web.Services.Images;

namespace Portal.Web.Tests.Unit;

/// <summary>Which references name a stored image, as "used by" and remove read them.</summary>
public sealed class ImageNamesTests
{
    private static readonly ImageInfo Image = new()
    {
        Id = "3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741",
        Names = ["localhost/pweb-busybox:latest", "registry.example.org/team/tool:1.2"],
    };

    [Theory]
    [InlineData("localhost/pweb-busybox:latest")]
    [InlineData("localhost/pweb-busybox")]
    [InlineData("pweb-busybox")]
    [InlineData("pweb-busybox:latest")]
    [InlineData("registry.example.org/team/tool:1.2")]
    [InlineData("team/tool:1.2")]
    [InlineData("3f57d9401f8d")]
    [InlineData("3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741")]
    public void A_name_its_untagged_or_short_form_or_an_id_prefix_names_the_image(string reference) =>
        Assert.True(ImageNames.Names(reference, Image));

    [Theory]
    [InlineData("localhost/pweb-busybox:2")]
    [InlineData("other.example.org/team/tool:1.2")]
    [InlineData("busybox")]
    [InlineData("tool:1.2")]
    [InlineData("3f57d9401f8")]
    [InlineData("3f57d9401f8e")]
    public void Another_tag_registry_or_name_or_a_short_id_does_not(string reference) =>
        Assert.False(ImageNames.Names(reference, Image));

    [Theory]
    [InlineData("busybox", "busybox:latest")]
    [InlineData("127.0.0.1:5000/a/b", "127.0.0.1:5000/a/b:latest")]
    [InlineData("127.0.0.1:5000/a/b:1", "127.0.0.1:5000/a/b:1")]
    [InlineData("a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000", "a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    public void An_untagged_reference_reads_as_latest(string reference, string expected) =>
        Assert.Equal(expected, ImageNames.WithTag(reference));
}

using Portal.Launcher.Driver;
using Portal.Launcher.Policy;

namespace Portal.Launcher.Tests.Unit.Driver;

/// <summary>Which files the policy may name as the driver's: the driver's own, by name and folder, nothing else.</summary>
public sealed class DriverLayoutTests
{
    private const string Version = "590.48.01";
    private static readonly string Lib = "/usr/lib/" + DriverLayout.Multiarch;

    private static string? Problem(string path, params string[] links) =>
        DriverLayout.Problem(new DriverFile { Path = path, Links = links }, Version, "", out _);

    [Theory]
    [InlineData("/usr/lib/{lib}/libcuda.so.590.48.01")]
    [InlineData("/usr/lib/{lib}/nvidia/current/libnvidia-ml.so.590.48.01")]
    [InlineData("/usr/lib64/libnvidia-ptxjitcompiler.so.590.48.01")]
    [InlineData("/usr/bin/nvidia-smi")]
    [InlineData("/usr/lib/nvidia/current/nvidia-smi")]
    [InlineData("/usr/lib/firmware/nvidia/590.48.01/gsp_ga10x.bin")]
    public void TheDriversOwnFiles_AreDriverFiles(string path)
    {
        Assert.Null(Problem(path.Replace("{lib}", DriverLayout.Multiarch, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("/etc/shadow")]
    [InlineData("/usr/lib/{lib}/libcuda.so.580.1.2")]
    [InlineData("/usr/lib/{lib}/libc.so.6")]
    [InlineData("/home/alice/libcuda.so.590.48.01")]
    [InlineData("/usr/lib/{lib}/../../../home/alice/libcuda.so.590.48.01")]
    [InlineData("/usr/lib/{lib}/sub/libcuda.so.590.48.01")]
    [InlineData("/usr/bin/bash")]
    [InlineData("/usr/local/bin/nvidia-smi")]
    [InlineData("/usr/lib/firmware/nvidia/580.1.2/gsp_ga10x.bin")]
    [InlineData("relative/libcuda.so.590.48.01")]
    public void AFileOutsideTheDriversSet_IsRefused_NamingIt(string path)
    {
        path = path.Replace("{lib}", DriverLayout.Multiarch, StringComparison.Ordinal);

        string? problem = Problem(path);

        Assert.NotNull(problem);
        Assert.Contains(path.Split('/')[^1], problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("libcuda.so.1", true)]
    [InlineData("libcuda.so", true)]
    [InlineData("libcuda.so.1.2", true)]
    [InlineData("libcuda.so.590.48.01", false)]
    [InlineData("libc.so.6", false)]
    [InlineData("../../etc/ld.so.preload", false)]
    [InlineData("libcuda.so.1/../../x", false)]
    [InlineData("libcuda.sox", false)]
    public void ALibrarysLinks_AreOnlyItsOtherNames(string link, bool allowed)
    {
        Assert.Equal(allowed, Problem($"{Lib}/libcuda.so.590.48.01", link) is null);
    }

    [Fact]
    public void AProgram_HasNoLinks()
    {
        Assert.NotNull(Problem("/usr/bin/nvidia-smi", "libcuda.so.1"));
    }

    [Fact]
    public void AJob_SeesLibrariesAndTheirLinksInTheImagesLibraryFolder_AndProgramsInUsrBin()
    {
        var lib = new DriverFile { Path = "/usr/lib/x86_64-linux-gnu/nvidia/current/libcuda.so.590.48.01", Links = ["libcuda.so.1", "libcuda.so"] };
        var smi = new DriverFile { Path = "/usr/lib/nvidia/current/nvidia-smi" };
        var firmware = new DriverFile { Path = "/usr/lib/firmware/nvidia/590.48.01/gsp_tu10x.bin" };

        Assert.Equal([$"{Lib}/libcuda.so.590.48.01", $"{Lib}/libcuda.so.1", $"{Lib}/libcuda.so"], DriverLayout.Targets(lib, Version, ""));
        Assert.Equal(["/usr/bin/nvidia-smi"], DriverLayout.Targets(smi, Version, ""));
        Assert.Equal(["/lib/firmware/nvidia/590.48.01/gsp_tu10x.bin"], DriverLayout.Targets(firmware, Version, ""));
    }

    [Fact]
    public void UnderATestRoot_TheRulesApplyToThePathBelowIt_AndNothingOutsideTheRootPasses()
    {
        var inside = new DriverFile { Path = "/srv/fake/usr/bin/nvidia-smi" };
        var outside = new DriverFile { Path = "/usr/bin/nvidia-smi" };

        Assert.Null(DriverLayout.Problem(inside, Version, "/srv/fake", out _));
        Assert.Equal(["/usr/bin/nvidia-smi"], DriverLayout.Targets(inside, Version, "/srv/fake"));
        Assert.NotNull(DriverLayout.Problem(outside, Version, "/srv/fake", out _));
    }

    [Theory]
    [InlineData("590.48.01", true)]
    [InlineData("595.80", true)]
    [InlineData("0.0.7", true)]
    [InlineData("590..48", false)]
    [InlineData(".590", false)]
    [InlineData("590.48.01 ", false)]
    [InlineData("590.48.01/../x", false)]
    [InlineData("", false)]
    public void ADriverVersion_IsDottedDigitsOnly(string version, bool valid)
    {
        Assert.Equal(valid, DriverLayout.IsVersion(version));
    }
}

using System.Text;
using Portal.Launcher.Native;

namespace Portal.Launcher.Tests.Unit;

/// <summary>The launcher's read(2) reader returns what File.ReadAllText and File.ReadAllLines return, which it replaced.</summary>
public sealed class TextFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("portal-text-files-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("")]
    [InlineData("pbench-user:1100000000:65536\n")]
    [InlineData("a:1:2\r\nb:3:4\rc:5:6\n\nd:7:8")]
    [InlineData("\uFEFFowner:100000:65536\n")]
    [InlineData("ünïcödé\n\n\n")]
    public void ATextFile_ReadsAsFileReadsIt(string text)
    {
        string path = Write(Encoding.UTF8.GetBytes(text));

        Assert.Equal(File.ReadAllText(path), TextFiles.ReadAll(path));
        Assert.Equal(File.ReadAllLines(path), TextFiles.ReadLines(path));
    }

    [Fact]
    public void AFileLargerThanOneRead_IsReadWhole()
    {
        // More than the first 4 KiB buffer and than its first growth: every read(2) is joined in order.
        string text = string.Concat(Enumerable.Range(0, 5000).Select(i => $"line {i}\n"));
        string path = Write(Encoding.UTF8.GetBytes(text));

        Assert.Equal(text, TextFiles.ReadAll(path));
        Assert.Equal(5000, TextFiles.ReadLines(path).Length);
    }

    [Fact]
    public void AProcFile_WhoseSizeReadsAsZero_IsReadWhole() =>
        Assert.Equal(File.ReadAllText("/proc/self/mountinfo").Split('\n').Length, TextFiles.ReadAll("/proc/self/mountinfo").Split('\n').Length);

    [Fact]
    public void AMissingFile_IsFileNotFound_AndAFileOverTheLimit_AnIOException()
    {
        Assert.Throws<FileNotFoundException>(() => TextFiles.ReadAll(Path.Combine(_dir, "missing")));

        string path = Write(new byte[10000]);
        IOException e = Assert.Throws<IOException>(() => TextFiles.ReadAll(path, maxBytes: 8192));
        Assert.Contains("larger than 8192", e.Message, StringComparison.Ordinal);
        Assert.Equal(10000, TextFiles.ReadAll(path, maxBytes: 10000).Length);
    }

    private string Write(byte[] bytes)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, bytes);
        return path;
    }
}

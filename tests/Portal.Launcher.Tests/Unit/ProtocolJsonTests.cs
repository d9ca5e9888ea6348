using System.Text.Json;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Tests.Unit;

public sealed class ProtocolJsonTests
{
    [Fact]
    public void ARoundTrippedRequest_ReadsBackEqual()
    {
        var request = new LauncherRequest { Version = 1, Verb = "stop", User = "alice", Job = "7", Stop = new StopSpec { TimeoutSeconds = 3 } };

        string json = JsonSerializer.Serialize(request, LauncherJsonContext.Default.LauncherRequest);
        LauncherRequest back = JsonSerializer.Deserialize(json, LauncherJsonContext.Default.LauncherRequest)!;

        Assert.Equal(3, back.Stop!.TimeoutSeconds);
        Assert.Equal("alice", back.User);
    }

    [Fact]
    public void AStopSectionWithoutATimeout_KeepsTheDefault() =>
        Assert.Equal(10, JsonSerializer.Deserialize("""{"version":1,"verb":"stop","user":"a","job":"1","stop":{}}""", LauncherJsonContext.Default.LauncherRequest)!.Stop!.TimeoutSeconds);

    [Theory]
    [InlineData("""{"version":1,"verb":"list","user":"a","user":"root"}""")]
    [InlineData("""{"version":1,"verb":"list","user":"a","extra":1}""")]
    [InlineData("""{"version":1,"verb":"run","user":"a","job":"1","run":{"image":"x","env":{"A":"1","A":"2"}}}""")]
    public void DuplicateKeysAndUnknownFields_AreErrors(string json) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, LauncherJsonContext.Default.LauncherRequest));

    [Fact]
    public void TheLaunchersReply_IsWhatTheProtocolContextWrites_ByteForByte()
    {
        var when = new DateTimeOffset(2026, 11, 30, 22, 0, 0, TimeSpan.Zero);
        var container = new ContainerState
        {
            Name = "portal-job-1", Id = "ce5f", Job = "1", Owner = "alice", State = "exited", ExitCode = 3, Pid = 0, ConmonPid = 41,
            StartedAt = when, FinishedAt = when.AddMinutes(1), Image = "localhost/busybox:latest",
        };
        var response = new LauncherResponse
        {
            Ok = false, Error = "podman run failed: \"<quoted>\" \u00e9\n", ToolExitCode = 125, ContainerId = "ce5f", ContainerName = "portal-job-1",
            Container = container, Containers = [container, container with { Name = "portal-job-2", ExitCode = null }],
            Images = [new ImageInfo { Id = "sha256:1", Names = ["localhost/busybox:latest"], Size = 1 << 20, Created = when }],
            Checks = [new CheckItem { Name = "podman", Status = "ok", Detail = "4.3.1" }],
            Warnings = ["Resource limits are not supported"],
        };
        using var written = new MemoryStream();

        Launcher.Write(response, written);

        string expected = JsonSerializer.Serialize(response, LauncherJsonContext.Default.LauncherResponse) + "\n";
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(written.ToArray()));
        Assert.Equal(response.Containers, JsonSerializer.Deserialize(expected, LauncherJsonContext.Default.LauncherResponse)!.Containers);
    }

    [Fact]
    public void AnEmptyReply_IsWrittenWithoutItsNullFields()
    {
        using var written = new MemoryStream();

        Launcher.Write(new LauncherResponse { Ok = true }, written);

        Assert.Equal("{\"ok\":true}\n", System.Text.Encoding.UTF8.GetString(written.ToArray()));
    }
}

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
}

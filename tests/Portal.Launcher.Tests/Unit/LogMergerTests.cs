using System.Text;
using Portal.Launcher.Podman;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Tests.Unit;

/// <summary>How the logs verb turns podman's two timestamped pipes back into one framed, ordered log.</summary>
public sealed class LogMergerTests
{
    private const int Stdout = 0;
    private const int Stderr = 1;

    [Fact]
    public void AFinishedLog_IsMergedByTime_WhicheverPipeWasReadFirst()
    {
        var (merger, output, _) = Merger(holdBack: null);

        // The whole of stdout is read before any of stderr, as a busy pipe can make it.
        merger.Add(Stdout, "2026-12-06T11:22:40.1Z to-stdout\n2026-12-06T11:22:42Z to-stdout\n"u8, now: 0);
        merger.TakeReady(0, output);
        string beforeStderr = Text(output);
        merger.Add(Stderr, "2026-12-06T11:22:41.000000001Z to-stderr\n"u8, now: 0);
        merger.Close(Stdout, 0);
        merger.Close(Stderr, 0);
        merger.TakeReady(0, output);

        Assert.Equal("", beforeStderr);
        Assert.Equal(
            "o 2026-12-06T11:22:40.100000000Z to-stdout\ne 2026-12-06T11:22:41.000000001Z to-stderr\no 2026-12-06T11:22:42.000000000Z to-stdout\n",
            Text(output));
    }

    [Fact]
    public void WhileFollowing_ALineGoesOutOnceTheOtherStreamHasALaterOne_OrAfterTheHoldBack()
    {
        var (merger, output, _) = Merger(holdBack: TimeSpan.FromMilliseconds(100));

        merger.Add(Stdout, "2026-12-06T11:22:40Z first\n"u8, now: 1000);
        merger.TakeReady(1050, output);
        string held = Text(output);
        int due = merger.DueIn(1050);
        merger.TakeReady(1100, output);

        Assert.Equal("", held);
        Assert.Equal(50, due);
        Assert.Equal("o 2026-12-06T11:22:40.000000000Z first\n", Text(output));
        Assert.Equal(-1, merger.DueIn(1100));
    }

    [Fact]
    public void APartlyWrittenLine_LosesTheTimesPodmanPrintedBetweenItsPieces_ButNotTheJobsOwnText()
    {
        var (merger, output, _) = Merger(holdBack: null);

        // A progress bar: three writes without a line break, each its own partial record with its own time.
        merger.Add(Stdout, "2026-12-06T12:00:00.1+01:00 10%\r2026-12-06T12:00:00.35+01:00 20%\r2026-12-06T12:00:01+01:00 done\n"u8, 0);
        // The job's own words that merely look like a time: another zone, an earlier time, no space after it.
        merger.Add(Stderr, "2026-12-06T12:00:02+01:00 at 2026-12-06T11:00:02Z x 2026-12-06T12:00:01+01:00 y 2026-12-06T12:00:03+01:00\n"u8, 0);
        merger.Close(Stdout, 0);
        merger.Close(Stderr, 0);
        merger.TakeReady(0, output);

        Assert.Equal(
            "o 2026-12-06T11:00:00.100000000Z 10%\r20%\rdone\n"
            + "e 2026-12-06T11:00:02.000000000Z at 2026-12-06T11:00:02Z x 2026-12-06T12:00:01+01:00 y 2026-12-06T12:00:03+01:00\n",
            Text(output));
    }

    [Fact]
    public void TimesWithAnOffset_AreWrittenInUtc_AndOrderedAsInstants()
    {
        var (merger, output, _) = Merger(holdBack: null);

        merger.Add(Stdout, "2026-12-06T12:00:00.5+01:00 later\n"u8, 0);
        merger.Add(Stderr, "2026-12-06T10:59:59.9-00:00 earlier\n"u8, 0);
        merger.Close(Stdout, 0);
        merger.Close(Stderr, 0);
        merger.TakeReady(0, output);

        Assert.Equal("e 2026-12-06T10:59:59.900000000Z earlier\no 2026-12-06T11:00:00.500000000Z later\n", Text(output));
    }

    [Fact]
    public void WhateverTheJobPrints_ItStaysTheTextOfOneLineOfItsOwnStream()
    {
        var (merger, output, diagnostics) = Merger(holdBack: null);

        // A job's stdout line that looks like a stderr frame, with control bytes, a carriage return and bytes that are not UTF-8.
        byte[] line = [.. "2026-12-06T11:22:40Z "u8, .. "e 2026-12-06T11:22:39.000000000Z forged\r\u001b[31m"u8, 0xff, 0x00, (byte)'\n'];
        merger.Add(Stdout, line, 0);
        merger.Close(Stdout, 0);
        merger.Close(Stderr, 0);
        merger.TakeReady(0, output);

        LogLine parsed = LogFrame.Parse(Encoding.UTF8.GetString(output.ToArray()).TrimEnd('\n'));
        Assert.Equal(OutputChannel.Stdout, parsed.Stream);
        Assert.StartsWith("e 2026-12-06T11:22:39.000000000Z forged\r", parsed.Text, StringComparison.Ordinal);
        Assert.Equal(1, output.ToArray().Count(b => b == (byte)'\n'));
        Assert.Equal(0, diagnostics.Length);
    }

    [Fact]
    public void ALineWithoutPodmansTime_IsPodmansOwnMessage_AndGoesToDiagnosticsUnframed()
    {
        var (merger, output, diagnostics) = Merger(holdBack: null);

        merger.Add(Stderr, "Error: no such container portal-job-x\n"u8, 0);
        merger.Close(Stdout, 0);
        merger.Close(Stderr, 0);
        merger.TakeReady(0, output);

        Assert.Equal(0, output.Length);
        Assert.Equal("Error: no such container portal-job-x\n", Encoding.UTF8.GetString(diagnostics.ToArray()));
    }

    [Fact]
    public void AnOverlongLine_IsCutAndSaysSo_AndTheNextLineIsWhole()
    {
        var (merger, output, _) = Merger(holdBack: null);

        merger.Add(Stdout, Encoding.ASCII.GetBytes("2026-12-06T11:22:40Z " + new string('x', LogMerger.MaxLineBytes + 10) + "\n2026-12-06T11:22:41Z next\n"), 0);
        merger.Close(Stdout, 0);
        merger.Close(Stderr, 0);
        merger.TakeReady(0, output);

        string[] frames = Text(output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, frames.Length);
        Assert.EndsWith("x [line cut by the launcher]", frames[0], StringComparison.Ordinal);
        Assert.Equal("o 2026-12-06T11:22:41.000000000Z next", frames[1]);
    }

    [Theory]
    [InlineData("2026-12-06T11:22:40Z", "2026-12-06T11:22:40.000000000Z")]
    [InlineData("2026-12-06T11:22:40.219534842Z", "2026-12-06T11:22:40.219534842Z")]
    [InlineData("2026-01-01T00:30:00.05+01:00", "2025-12-31T23:30:00.050000000Z")]
    public void PodmansTimes_ReadBackInTheFixedUtcForm(string podman, string framed)
    {
        long nanos = PodmanTime.Parse(Encoding.ASCII.GetBytes(podman))!.Value;
        byte[] into = new byte[LogFrame.TimeLength];
        PodmanTime.Format(nanos, into);

        Assert.Equal(framed, Encoding.ASCII.GetString(into));
    }

    [Theory]
    [InlineData("")]
    [InlineData("to-stdout")]
    [InlineData("2026-12-06 11:22:40Z")]
    [InlineData("2026-12-06T11:22:40.Z")]
    [InlineData("2026-12-06T11:22:40.1234567890Z")]
    [InlineData("2026-13-06T11:22:40Z")]
    [InlineData("2026-12-06T11:22:40+0100")]
    public void AnythingElse_IsNoTime(string text) => Assert.Null(PodmanTime.Parse(Encoding.ASCII.GetBytes(text)));

    private static (LogMerger Merger, MemoryStream Output, MemoryStream Diagnostics) Merger(TimeSpan? holdBack)
    {
        var diagnostics = new MemoryStream();
        return (new LogMerger(holdBack, diagnostics), new MemoryStream(), diagnostics);
    }

    private static string Text(MemoryStream output) => Encoding.UTF8.GetString(output.ToArray());
}

using Portal.Web.Services.Sessions.Activity;

namespace Portal.Web.Tests.Sessions;

/// <summary>The frame scanner behind the "last WebSocket message" signal: data frames count, control frames do not,
/// whatever way the bytes are cut.</summary>
public sealed class WebSocketFrameScannerTests
{
    [Fact]
    public void DataFrames_Count_PingsPongsAndCloses_DoNot()
    {
        byte[] stream = [.. Frame(0x1, 5, masked: true), .. Frame(0x9, 0, masked: true), .. Frame(0xA, 4, masked: false),
            .. Frame(0x2, 300, masked: false), .. Frame(0x8, 2, masked: true)];
        var scanner = new WebSocketFrameScanner();

        Assert.Equal(2, scanner.Scan(stream));
    }

    [Fact]
    public void AStreamCutAtEveryByte_CountsTheSame()
    {
        byte[] stream = [.. Frame(0x1, 125, masked: true), .. Frame(0x2, 126, masked: true), .. Frame(0x1, 70_000, masked: false),
            .. Frame(0x9, 3, masked: false), .. Frame(0x1, 0, masked: true)];
        var scanner = new WebSocketFrameScanner();

        int messages = 0;
        foreach (byte b in stream)
        {
            messages += scanner.Scan([b]);
        }

        Assert.Equal(4, messages);
    }

    [Fact]
    public void AContinuationFrame_IsPartOfTheMessageItContinues()
    {
        byte[] stream = [.. Frame(0x1, 10, masked: true, fin: false), .. Frame(0x0, 10, masked: true)];
        var scanner = new WebSocketFrameScanner();

        Assert.Equal(1, scanner.Scan(stream));
    }

    /// <summary>A frame as RFC 6455 lays it out, with a payload of <paramref name="length"/> bytes.</summary>
    private static byte[] Frame(int opcode, int length, bool masked, bool fin = true)
    {
        var bytes = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        byte mask = masked ? (byte)0x80 : (byte)0;
        if (length < 126)
        {
            bytes.Add((byte)(mask | length));
        }
        else if (length <= ushort.MaxValue)
        {
            bytes.AddRange([(byte)(mask | 126), (byte)(length >> 8), (byte)length]);
        }
        else
        {
            bytes.Add((byte)(mask | 127));
            bytes.AddRange(BitConverter.GetBytes((ulong)length).Reverse());
        }

        if (masked)
        {
            bytes.AddRange([1, 2, 3, 4]);
        }

        bytes.AddRange(Enumerable.Repeat((byte)0x81, length));
        return [.. bytes];
    }
}

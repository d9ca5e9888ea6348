namespace Portal.Web.Services.Sessions.Activity;

/// <summary>
/// Follows the frames of one direction of a WebSocket (RFC 6455 section 5.2) in the bytes that pass, without copying
/// or unmasking them: it reads each frame header (2 to 14 bytes) and skips the payload. It only counts: what passes
/// is forwarded unchanged whatever it finds.
/// </summary>
internal struct WebSocketFrameScanner
{
    private const int OpcodeText = 0x1;
    private const int OpcodeBinary = 0x2;

    private ulong _payloadLeft;
    private int _headerLength;
    private int _headerNeeded;
    private byte _first;
    private byte _second;
    private ulong _length;

    /// <summary>Reads <paramref name="data"/>, the next bytes of the stream; returns how many data messages (text or
    /// binary frames; continuations, pings, pongs and closes excluded) began in it.</summary>
    public int Scan(ReadOnlySpan<byte> data)
    {
        int messages = 0;
        while (!data.IsEmpty)
        {
            if (_payloadLeft > 0)
            {
                int skip = _payloadLeft < (ulong)data.Length ? (int)_payloadLeft : data.Length;
                _payloadLeft -= (ulong)skip;
                data = data[skip..];
                continue;
            }

            byte b = data[0];
            data = data[1..];
            if (ReadHeaderByte(b))
            {
                int opcode = _first & 0x0F;
                if (opcode is OpcodeText or OpcodeBinary)
                {
                    messages++;
                }

                _payloadLeft = _length;
                _headerLength = 0;
            }
        }

        return messages;
    }

    /// <summary>Takes one header byte; true when the header is complete.</summary>
    private bool ReadHeaderByte(byte b)
    {
        switch (_headerLength++)
        {
            case 0:
                _first = b;
                return false;
            case 1:
                _second = b;
                int length7 = b & 0x7F;
                int extended = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
                int mask = (b & 0x80) != 0 ? 4 : 0;
                _headerNeeded = 2 + extended + mask;
                _length = extended == 0 ? (ulong)length7 : 0;
                return _headerNeeded == 2;
            default:
                // Extended length bytes (big-endian) come first, then the masking key, which is skipped.
                int extendedBytes = (_second & 0x7F) switch { 126 => 2, 127 => 8, _ => 0 };
                if (_headerLength - 2 <= extendedBytes)
                {
                    _length = (_length << 8) | b;
                }

                return _headerLength == _headerNeeded;
        }
    }
}

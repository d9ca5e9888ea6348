namespace Portal.Web.Services.Sessions.Activity;

/// <summary>
/// The browser's side of a proxied WebSocket, observed: what is read is the browser's frames, what is written the
/// app's. Each data frame either way marks the session active. Bytes pass unchanged.
/// </summary>
internal sealed class ObservedWebSocketStream(Stream inner, SessionTrafficRecorder recorder, SessionTrafficRecorder.Counters job) : Stream
{
    private WebSocketFrameScanner _fromBrowser;
    private WebSocketFrameScanner _fromApp;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken);
        if (n > 0 && _fromBrowser.Scan(buffer.Span[..n]) > 0)
        {
            recorder.WebSocketMessage(job);
        }

        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_fromApp.Scan(buffer.Span) > 0)
        {
            recorder.WebSocketMessage(job);
        }

        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    // The forwarder copies asynchronously; the synchronous calls exist only because Stream has them.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

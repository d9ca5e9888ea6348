using System.Diagnostics;

namespace Portal.Launcher.Client;

/// <summary>
/// One connection to a session's app through the launcher (<c>slurm-connect</c>): what is written goes to the
/// launcher's stdin and on to the app's socket on its node; what is read is the app's answer on the launcher's stdout.
/// Disposing it hangs up both ways, which ends the relay on the node (the launcher watches its stdout's reader).
/// </summary>
internal sealed class LauncherRelayStream(Process process, Task<string> stderr) : Stream
{
    private readonly Stream _input = process.StandardOutput.BaseStream;
    private readonly Stream _output = process.StandardInput.BaseStream;
    private int _disposed;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _input.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _input.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _output.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _output.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _output.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush() => _output.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Close(_output);
            Close(_input);
            // The launcher ends once the relay does; reap it without holding up whoever dropped the connection.
            _ = ReapAsync();
        }

        base.Dispose(disposing);
    }

    private async Task ReapAsync()
    {
        try
        {
            await ProcessLauncher.EndAsync(process, stdinHeld: false);
            await stderr;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // Gone already.
        }
        finally
        {
            process.Dispose();
        }
    }

    private static void Close(Stream stream)
    {
        try
        {
            stream.Dispose();
        }
        catch (IOException)
        {
            // The launcher left first: nothing to flush.
        }
    }
}

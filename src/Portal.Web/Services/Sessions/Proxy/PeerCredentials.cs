using System.Buffers.Binary;
using System.Net.Sockets;

namespace Portal.Web.Services.Sessions.Proxy;

/// <summary>The process at the other end of a connected Unix socket, as the kernel recorded it when it listened.</summary>
/// <param name="Pid">Its process id (in the portal's pid namespace; 0 when it lives in another one).</param>
/// <param name="Uid">Its uid on the host: for a rootless container, the owner's own uid.</param>
/// <param name="Gid">Its gid on the host.</param>
internal readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    // From <sys/socket.h> and <asm-generic/socket.h> on Linux.
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>Reads SO_PEERCRED: struct ucred { pid_t pid; uid_t uid; gid_t gid; }.</summary>
    public static PeerCredentials Of(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[12];
        int length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        if (length != ucred.Length)
        {
            throw new SocketException((int)SocketError.ProtocolNotSupported);
        }

        return new PeerCredentials(
            BinaryPrimitives.ReadInt32LittleEndian(ucred),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]));
    }
}

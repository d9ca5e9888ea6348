using System.Text.Json;
using Portal.Launcher.Native;

namespace Portal.Launcher.Audit;

/// <summary>
/// One JSON line per decision, appended to a root-owned 0600 file opened before the privilege drop.
/// The descriptor stays open (close-on-exec) so the launcher can still record the outcome after it
/// has become the user, while the user, and the portal, can never open the file themselves. (The
/// portal's audit log of what administrators do, in its database, is another thing.)
/// </summary>
internal sealed class AuditFile
{
    private readonly int _fd;
    private readonly int _pid = Environment.ProcessId;
    private readonly uint _callerUid;
    private readonly bool _privileged;

    private AuditFile(int fd, uint callerUid, bool privileged)
    {
        _fd = fd;
        _callerUid = callerUid;
        _privileged = privileged;
    }

    public string Verb { get; set; } = "";

    public string? User { get; set; }

    public string? Job { get; set; }

    public static AuditFile Open(string path, uint trustedOwner, uint callerUid, bool privileged) =>
        new(SafeFiles.OpenAppendLog(path, trustedOwner), callerUid, privileged);

    public void Accepted(string detail) => Write("accepted", detail);

    public void Refused(string reason) => Write("refused", reason);

    public void Done(string detail) => Write("done", detail);

    public void Failed(string reason) => Write("failed", reason);

    private void Write(string decision, string detail)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", DateTimeOffset.UtcNow);
            json.WriteNumber("pid", _pid);
            json.WriteNumber("callerUid", _callerUid);
            json.WriteString("mode", _privileged ? "privileged" : "dev");
            json.WriteString("verb", Verb);
            if (User is not null)
            {
                json.WriteString("user", User);
            }

            if (Job is not null)
            {
                json.WriteString("job", Job);
            }

            json.WriteString("decision", decision);
            json.WriteString("detail", detail);
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');

        // One write(2) per record: O_APPEND keeps concurrent launchers' lines whole.
        SafeFiles.WriteAll(_fd, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }
}

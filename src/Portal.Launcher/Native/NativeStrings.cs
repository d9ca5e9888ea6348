using System.Runtime.InteropServices;
using System.Text;

namespace Portal.Launcher.Native;

/// <summary>NUL-terminated UTF-8 argv and envp arrays (each ending in a null pointer) for execve and posix_spawn.</summary>
internal sealed unsafe class NativeStrings : IDisposable
{
    private readonly List<nint> _allocations = [];

    public NativeStrings(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory)
    {
        Argv = Array(argv.Count);
        for (int i = 0; i < argv.Count; i++)
        {
            Argv[i] = Utf8(argv[i]);
        }

        Envp = Array(env.Count);
        int j = 0;
        foreach ((string key, string value) in env)
        {
            Envp[j++] = Utf8(key + "=" + value);
        }

        WorkingDirectory = Utf8(workingDirectory);
    }

    public byte** Argv { get; }

    public byte** Envp { get; }

    public byte* WorkingDirectory { get; }

    private byte** Array(int count)
    {
        nint block = (nint)NativeMemory.AllocZeroed((nuint)(count + 1), (nuint)sizeof(nint));
        _allocations.Add(block);
        return (byte**)block;
    }

    private byte* Utf8(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        byte* text = (byte*)NativeMemory.AllocZeroed((nuint)length + 1);
        _allocations.Add((nint)text);
        _ = Encoding.UTF8.GetBytes(value, new Span<byte>(text, length));
        return text;
    }

    public void Dispose()
    {
        foreach (nint allocation in _allocations)
        {
            NativeMemory.Free((void*)allocation);
        }

        _allocations.Clear();
    }
}

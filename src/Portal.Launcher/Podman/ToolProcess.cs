using System.Diagnostics;
using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Podman;

/// <summary>Output of a finished tool run.</summary>
internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs podman (or setfacl, useradd) with an argv and an environment built by the launcher: no
/// shell, nothing inherited but stdio (everything else is close-on-exec), stdin from /dev/null.
/// </summary>
internal static class ToolProcess
{
    public static async Task<ToolResult> RunAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? "/",
        };
        foreach (string arg in argv.Skip(1))
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment.Clear();
        foreach ((string key, string value) in env)
        {
            psi.Environment[key] = value;
        }

        using Process process = Process.Start(psi) ?? throw new InvalidOperationException($"{argv[0]} did not start.");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Replaces the launcher with the tool, so a log stream flows straight from podman to the
    /// caller. Returns only on failure.
    /// </summary>
    public static unsafe int Exec(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env)
    {
        nint[] args = new nint[argv.Count + 1];
        nint[] envp = new nint[env.Count + 1];
        for (int i = 0; i < argv.Count; i++)
        {
            args[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
        }

        int j = 0;
        foreach ((string key, string value) in env)
        {
            envp[j++] = Marshal.StringToCoTaskMemUTF8(key + "=" + value);
        }

        Console.Out.Flush();
        fixed (nint* a = args)
        fixed (nint* e = envp)
        {
            _ = execve((byte*)args[0], (byte**)a, (byte**)e);
        }

        return errno;
    }
}

using System.Diagnostics;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>
/// Real Linux accounts for binding tests, created with useradd when missing (CI runs as root).
/// </summary>
public static class TestLinuxUsers
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task EnsureAsync(string name)
    {
        await Gate.WaitAsync();
        try
        {
            if (await RunAsync("getent", "passwd", name) == 0)
            {
                return;
            }

            if (!Environment.IsPrivilegedProcess)
            {
                throw new InvalidOperationException(
                    $"The test needs the Linux account '{name}'; run the tests as root (tests/run.sh does in CI) or create it with useradd.");
            }

            int exit = await RunAsync("useradd", "--create-home", "--shell", "/bin/sh", name);
            if (exit != 0 && await RunAsync("getent", "passwd", name) != 0)
            {
                throw new InvalidOperationException($"useradd {name} failed with exit code {exit}.");
            }
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<int> RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info)!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}

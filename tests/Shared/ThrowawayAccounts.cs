using System.Diagnostics;

namespace Portal.Tests.Cleanup;

/// <summary>
/// Removes throwaway Linux accounts a test made (ptest-*, pweb-*, pprod-*, pslurm-*) with everything rootless podman left of
/// them: their processes (the pause process included), home and image storage, runtime folder, group and subordinate
/// id lines. It runs tests/throwaway-accounts.sh, the script tests/run.sh sweeps and checks with, so there is one
/// definition of "removed".
/// </summary>
public static class ThrowawayAccounts
{
    /// <summary>Removes the accounts (or groups) named; a name that does not exist is skipped.</summary>
    public static async Task RemoveAsync(params string[] names)
    {
        if (names.Length == 0)
        {
            return;
        }

        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(RepositoryRoot(), "tests", "throwaway-accounts.sh"));
        psi.ArgumentList.Add("remove");
        foreach (var name in names)
        {
            psi.ArgumentList.Add(name);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start bash.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Removing {string.Join(", ", names)} did not finish in 2 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"Removing {string.Join(", ", names)} failed (exit {process.ExitCode}): {await stdout}{await stderr}");
        }
    }

    private static string RepositoryRoot()
    {
        var directory = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(directory, "Portal.sln")))
        {
            directory = Path.GetDirectoryName(directory) ?? throw new InvalidOperationException("Portal.sln not found above the test binaries.");
        }

        return directory;
    }
}

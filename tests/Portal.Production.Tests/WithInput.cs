using System.Diagnostics;
using Portal.Web.Tests.Jobs;

namespace Portal.Production.Tests;

/// <summary>Runs a program with an argv (never a shell), the given standard input and a deadline.</summary>
public static class WithInput
{
    public static async Task<ShResult> RunAsync(string file, IEnumerable<string> args, string stdin)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program (sudo refusing) exited before reading its input.
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        return new ShResult(process.ExitCode, await stdout, await stderr);
    }
}

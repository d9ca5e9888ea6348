using System.Diagnostics;

namespace Portal.Launcher.Tests.Infrastructure;

public sealed record ShellResult(int ExitCode, string Stdout, string Stderr, int Pid)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs a program with an argv (no shell unless the test asks for one) and a deadline.</summary>
public static class Shell
{
    public static async Task<ShellResult> RunAsync(string file, IEnumerable<string> args, string? stdin = null,
        IReadOnlyDictionary<string, string>? env = null, bool clearEnv = false, TimeSpan? timeout = null, string? cwd = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = cwd ?? "",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        if (clearEnv)
        {
            psi.Environment.Clear();
            psi.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        }

        foreach ((string k, string v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var process = Process.Start(psi)!;
        int pid = process.Id;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program stopped reading before the end (the launcher refuses an oversized request unread and
            // exits): its exit code and output say the rest.
        }
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time.");
        }

        return new ShellResult(process.ExitCode, await stdout, await stderr, pid);
    }

    /// <summary>Runs a command and fails the test with its output if it does not exit 0.</summary>
    public static async Task<string> CheckedAsync(string file, params string[] args)
    {
        ShellResult r = await RunAsync(file, args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {r}");
        }

        return r.Stdout;
    }

    /// <summary>Runs a command as a test user, with that user's groups and a clean environment (setpriv, util-linux).</summary>
    public static Task<ShellResult> AsUserAsync(TestUser user, string file, params string[] args) => AsUserAsync(user, null, file, args);

    /// <summary>As <see cref="AsUserAsync(TestUser, string, string[])"/>, with <paramref name="env"/> added to the clean environment.</summary>
    public static Task<ShellResult> AsUserAsync(TestUser user, IReadOnlyDictionary<string, string>? env, string file, params string[] args) =>
        RunAsync("/usr/bin/setpriv", ["--reuid", user.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--regid", user.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--init-groups", "--",
            "/usr/bin/env", "-i", "HOME=" + user.Home, "USER=" + user.Name, "LOGNAME=" + user.Name,
            "PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=/run/user/" + user.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "LANG=C.UTF-8", .. (env ?? new Dictionary<string, string>()).Select(kv => kv.Key + "=" + kv.Value), file, .. args], cwd: "/");
}

/// <summary>Polls a condition until it holds or the deadline passes (never a bare sleep).</summary>
public static class Wait
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan within, string what)
    {
        DateTime deadline = DateTime.UtcNow + within;
        T last = await probe();
        while (!done(last))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}; last value: {last}");
            }

            await Task.Delay(50);
            last = await probe();
        }

        return last;
    }
}

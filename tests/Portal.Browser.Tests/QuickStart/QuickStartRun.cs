using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Portal.Tests.Cleanup;
using Portal.Web.Tests.Jobs;

namespace Portal.Browser.Tests.QuickStart;

/// <summary>
/// <c>deploy/dev/run.sh</c> running in its own process group on a fresh data folder, as the README says to start it.
/// Beyond the README's command it is given only what a test needs: that data folder, a free port, and throwaway names
/// for the account and group the quick start makes (the sweep of tests/run.sh knows the <c>ptest-</c> prefix). Disposing
/// stops it as Ctrl-C does and removes everything it made: the account with its storage and containers, the group,
/// the job cgroups, the data folder and its private cluster.
/// </summary>
internal sealed partial class QuickStartRun : IAsyncDisposable
{
    public const string Account = "ptest-quickstart";
    public const string Group = "ptest-quickstart-jobs";

    /// <summary>The dev policy's cgroupParent (deploy/dev/quickstart.sh).</summary>
    private const string CgroupParent = "portal-quickstart";

    /// <summary>run.sh builds the portal and the launcher in Release first: minutes on a busy two-core machine.</summary>
    private static readonly TimeSpan StartDeadline = TimeSpan.FromMinutes(10);

    private readonly Process _process;
    private readonly string _folder;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _password = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private QuickStartRun(Process process, string folder)
    {
        _process = process;
        _folder = folder;
    }

    public Uri BaseAddress { get; private set; } = default!;

    public string OneTimePassword { get; private set; } = "";

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private string DataDirectory => Path.Combine(_folder, "data");

    public static async Task<QuickStartRun> StartAsync()
    {
        // Leftovers of a run that was killed would make this one not "fresh".
        await ThrowawayAccounts.RemoveAsync(Account, Group);
        await CgroupTree.RemoveAsync(CgroupParent);

        // A fresh folder the postgres account can pass through (mktemp's 0700 is the case the portal refuses).
        string folder = Directory.CreateTempSubdirectory("portal-quickstart-").FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);

        var psi = new ProcessStartInfo("/usr/bin/setsid")
        {
            WorkingDirectory = RepositoryRoot(),
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[] { "bash", "deploy/dev/run.sh", "--Portal:DataDirectory=" + Path.Combine(folder, "data"), "--urls=http://127.0.0.1:0" })
        {
            psi.ArgumentList.Add(arg);
        }

        // What a person's shell has, not what `dotnet test` adds (its MSBuild variables would steer run.sh's build).
        psi.Environment.Clear();
        foreach (string name in new[] { "PATH", "HOME", "LANG", "DOTNET_ROOT", "NUGET_PACKAGES" })
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                psi.Environment[name] = value;
            }
        }

        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["PORTAL_QUICKSTART_ACCOUNT"] = Account;
        psi.Environment["PORTAL_QUICKSTART_GROUP"] = Group;

        var run = new QuickStartRun(Process.Start(psi) ?? throw new InvalidOperationException("run.sh did not start"), folder);
        run._process.OutputDataReceived += (_, e) => run.Read(e.Data);
        run._process.ErrorDataReceived += (_, e) => run.Read(e.Data);
        run._process.BeginOutputReadLine();
        run._process.BeginErrorReadLine();
        try
        {
            Task ready = Task.WhenAll(run._listening.Task, run._password.Task);
            Task exited = run._process.WaitForExitAsync();
            if (await Task.WhenAny(ready, exited, Task.Delay(StartDeadline)) != ready)
            {
                throw new InvalidOperationException($"run.sh did not bring the portal up (exited: {run._process.HasExited}):\n{run.Output}");
            }

            run.BaseAddress = await run._listening.Task;
            run.OneTimePassword = await run._password.Task;
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Stopped as a service manager stops it: SIGTERM to the whole group (the portal, and `dotnet run` above it),
        // and the portal stops its private cluster on the way out. SIGINT would not do: a script's background job
        // ignores it. SIGKILL past the deadline.
        await SignalGroupAsync("-TERM");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (await GroupAliveAsync() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        if (await GroupAliveAsync())
        {
            await SignalGroupAsync("-KILL");
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        string cluster = Path.Combine(DataDirectory, "postgres", "data");
        if (File.Exists(Path.Combine(cluster, "postmaster.pid")))
        {
            // Only when the portal could not stop it itself.
            string bin = Directory.GetDirectories("/usr/lib/postgresql").Order().Last() + "/bin/pg_ctl";
            await RunAsync("/usr/sbin/runuser", "-u", "postgres", "--", bin, "-D", cluster, "-m", "immediate", "-w", "stop");
        }

        await ThrowawayAccounts.RemoveAsync(Account, Group);
        await CgroupTree.RemoveAsync(CgroupParent);
        Directory.Delete(_folder, recursive: true);
    }

    private static string RepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Portal.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("The repository root (Portal.sln) is not above " + AppContext.BaseDirectory);
    }

    private static async Task<int> RunAsync(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(psi)!;
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    private Task<int> SignalGroupAsync(string signal) =>
        RunAsync("/bin/kill", signal, "--", "-" + _process.Id.ToString(CultureInfo.InvariantCulture));

    private async Task<bool> GroupAliveAsync() => await SignalGroupAsync("-0") == 0;

    private void Read(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (ListeningLine().Match(line) is { Success: true } listening)
        {
            _listening.TrySetResult(new Uri(listening.Groups["url"].Value));
        }
        else if (PasswordLine().Match(line) is { Success: true } password)
        {
            _password.TrySetResult(password.Groups["password"].Value);
        }
    }

    [GeneratedRegex(@"Now listening on: (?<url>http://\S+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"One-time password: (?<password>\S+)")]
    private static partial Regex PasswordLine();
}

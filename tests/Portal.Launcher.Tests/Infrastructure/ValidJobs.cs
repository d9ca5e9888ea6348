using System.Text;
using Portal.Core.Jobs;
using Portal.Core.Sessions;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>What a generated job may use: the mount roots, the GPU ids and the largest CPU and memory asks, alike on
/// the portal's side (configuration, ledger, quota) and in the launcher's policy.</summary>
/// <param name="Roots">The mount roots.</param>
/// <param name="GpuIds">The GPUs, by the ids the policy names them with.</param>
/// <param name="MaxCpus">The largest CPU ask.</param>
/// <param name="MaxMemoryMiB">The largest memory ask.</param>
/// <param name="RunnableOn">For jobs that really run: this image, and mounts of the roots themselves (which exist).</param>
public sealed record JobWorld(IReadOnlyList<MountRoot> Roots, IReadOnlyList<string> GpuIds, double MaxCpus, long MaxMemoryMiB, string? RunnableOn = null);

/// <summary>A job as the portal would launch it: its spec and the GPU ids the scheduler gave it.</summary>
public sealed record GeneratedJob(JobSpec Spec, IReadOnlyList<string> Gpus);

/// <summary>
/// A seeded generator of job specs that sit on and near the edges of what the rules allow: arguments with every kind
/// of character (line breaks, quotes, JSON's escaped characters, podman-looking words, non-BMP text) up to the 8 KiB
/// limit, the 128-character variable names, mount paths of every allowed character, working directories with spaces
/// and commas, every image grammar. Some come out invalid (a "." path segment, a request over 64 KiB); the portal
/// refuses those, which is fine: the property is about what it accepts.
/// </summary>
public sealed class ValidJobs(int seed, JobWorld world)
{
    private const string MountChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@+";
    private static readonly string[] Odd = ["--privileged", "--volume=/etc:/x", "-v", "/:/host", "$(id)", "`id`", "a b", "\"", "'", "\\", "<>&", "\u2028", "\u00e9", "\U0001F600", "", " ", "\t", "\n", "x=y", "--", "-"];

    private readonly Random _random = new(seed);

    public GeneratedJob Next()
    {
        int gpuCount = _random.Next(world.GpuIds.Count + 1);
        List<MountSpec> mounts = Mounts();
        var spec = new JobSpec
        {
            Name = "job-" + _random.Next(1_000_000),
            Image = world.RunnableOn ?? Image(),
            Command = Command(),
            Environment = Environment(),
            WorkingDirectory = Chance(3) ? null : WorkingDirectory(mounts),
            Mounts = mounts,
            Gpus = GpuRequest.Any(gpuCount),
            Cpus = Chance(5) ? world.MaxCpus : Math.Max(0.01, Math.Round(_random.NextDouble() * world.MaxCpus, _random.Next(1, 5))),
            MemoryMiB = Chance(5) ? RunRules.MinMemoryMiB : 6 + _random.NextInt64(world.MaxMemoryMiB - 5),
            Walltime = TimeSpan.FromHours(1),
            // Sessions only in-process: a real run of one needs an app that listens on the session socket.
            Session = world.RunnableOn is null && Chance(4) ? Session() : null,
        };
        return new GeneratedJob(spec, [.. world.GpuIds.OrderBy(_ => _random.Next()).Take(gpuCount)]);
    }

    /// <summary>Any clean path, spaces and commas included; for jobs that really run, one that exists in the container
    /// (podman refuses a working directory the image lacks): a mount target, or /tmp.</summary>
    private string WorkingDirectory(List<MountSpec> mounts) =>
        world.RunnableOn is null ? "/" + string.Join('/', Enumerable.Range(0, 1 + _random.Next(3)).Select(_ => Segment("abc XYZ,:=é_-0")))
        : mounts.Count > 0 ? mounts[_random.Next(mounts.Count)].Target
        : "/tmp";

    private string Image()
    {
        string[] hosts = ["", "localhost/", "registry.example.org:5000/", "Reg-1.Example.COM/", "10.0.0.1:80/", "a/"];
        string[] separators = [".", "_", "__", "-", "---"];
        var name = new StringBuilder(hosts[_random.Next(hosts.Length)]);
        int components = 1 + _random.Next(3);
        for (int c = 0; c < components; c++)
        {
            name.Append(c > 0 ? "/" : "").Append(Alnum(1 + _random.Next(6)));
            if (Chance(2))
            {
                name.Append(separators[_random.Next(separators.Length)]).Append(Alnum(1 + _random.Next(4)));
            }
        }

        if (Chance(2))
        {
            name.Append(':').Append(Pick("_Aa0")).Append(string.Concat(Enumerable.Range(0, _random.Next(20)).Select(_ => Pick("abcXYZ019_.-"))));
        }

        if (Chance(4))
        {
            name.Append("@sha256:").Append(string.Concat(Enumerable.Range(0, 64).Select(_ => Pick("0123456789abcdef"))));
        }

        return name.Length <= ImageReference.MaxLength ? name.ToString() : "busybox";
    }

    /// <summary>Any kind; a web app on the socket or on a port anywhere in range (its edges included).</summary>
    private SessionApp Session() => _random.Next(4) switch
    {
        0 => new SessionApp(SessionKind.Jupyter),
        1 => new SessionApp(SessionKind.VsCode),
        2 => new SessionApp(SessionKind.WebApp),
        _ => new SessionApp(SessionKind.WebApp, Chance(3) ? 65535 : 1 + _random.Next(65535)),
    };

    private List<string> Command()
    {
        int count = Chance(20) ? RunRules.MaxCommandItems : _random.Next(12);
        List<string> command = [.. Enumerable.Range(0, count).Select(_ => Argument())];
        if (world.RunnableOn is not null)
        {
            // A program that ignores its arguments, whatever they are.
            command = ["true", .. command.Skip(1)];
        }

        return command;
    }

    private string Argument() => _random.Next(10) switch
    {
        0 => Odd[_random.Next(Odd.Length)],
        1 => new string('<', _random.Next(1, 2000)),
        2 => string.Concat(Enumerable.Repeat("\U0001F600", _random.Next(1, 4096))),
        3 => new string('x', RunRules.MaxItemLength),
        _ => Text(_random.Next(40), allowLineBreaks: true),
    };

    private Dictionary<string, string> Environment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        int count = Chance(20) ? RunRules.MaxEnv : _random.Next(8);
        while (env.Count < count)
        {
            string name = Pick("ABCxyz_") + string.Concat(Enumerable.Range(0, Chance(10) ? RunRules.MaxEnvNameLength - 1 : _random.Next(12)).Select(_ => Pick("ABCxyz_019")));
            env[name] = Chance(10) ? new string('v', RunRules.MaxItemLength) : Text(_random.Next(30), allowLineBreaks: false);
        }

        return env;
    }

    private List<MountSpec> Mounts()
    {
        var mounts = new List<MountSpec>();
        var targets = new HashSet<string>(StringComparer.Ordinal);
        int count = Chance(20) ? RunRules.MaxMounts : _random.Next(4);
        while (mounts.Count < count && world.Roots.Count > 0)
        {
            MountRoot root = world.Roots[_random.Next(world.Roots.Count)];
            string source = Chance(3) || world.RunnableOn is not null ? root.Path : root.Path + "/" + string.Join('/', Enumerable.Range(0, 1 + _random.Next(3)).Select(_ => Segment(MountChars)));
            string target = "/" + string.Join('/', Enumerable.Range(0, 1 + _random.Next(3)).Select(_ => Segment(MountChars)));
            if (targets.Add(target))
            {
                mounts.Add(new MountSpec(source, target, root.ReadOnly || Chance(2)));
            }
        }

        return mounts;
    }

    private string Segment(string alphabet) => string.Concat(Enumerable.Range(0, 1 + _random.Next(12)).Select(_ => Pick(alphabet)));

    /// <summary>Any characters but NUL (and, for values, no line breaks).</summary>
    private string Text(int length, bool allowLineBreaks)
    {
        var text = new StringBuilder();
        while (text.Length < length)
        {
            char c = _random.Next(4) switch
            {
                0 => (char)_random.Next(1, 32),
                1 => (char)_random.Next(0x80, 0xD800),
                _ => (char)_random.Next(32, 127),
            };
            if (allowLineBreaks || c is not ('\n' or '\r'))
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    private string Alnum(int length) => string.Concat(Enumerable.Range(0, length).Select(_ => Pick("abcdefghijklmnopqrstuvwxyz0123456789")));

    private char Pick(string alphabet) => alphabet[_random.Next(alphabet.Length)];

    private bool Chance(int oneIn) => _random.Next(oneIn) == 0;
}

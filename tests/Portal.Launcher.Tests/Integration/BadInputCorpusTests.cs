using System.Text.Json;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// Requests that must be refused. Each must get a readable error, a non-zero exit code and an
/// audit record, and must not have started podman at all.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class BadInputCorpusTests(LauncherFixture f)
{
    // The theory is keyed by a printable name: requests with NUL or 70 KB would not survive test-case serialisation.
    private static readonly Dictionary<string, string> s_corpus = BuildCorpus();

    public static TheoryData<string> Cases() => new(s_corpus.Keys);

    [Fact]
    public void Corpus_HasAtLeastAHundredCases() => Assert.True(s_corpus.Count >= 100, $"{s_corpus.Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadRequest_IsRefused_Audited_AndStartsNoPodman(string name)
    {
        string request = s_corpus[name];
        LauncherCall call = await LauncherRunner.RunAsync(f, request);

        Assert.True(call.ExitCode != 0, $"{name}: {call}");
        // JSON verbs answer with {"ok":false,"error":...}; for logs (a raw stream) the error is on stderr only.
        Assert.True(call.Response is null || !call.Response.Ok, $"{name}: {call}");
        Assert.False(string.IsNullOrWhiteSpace(call.Response?.Error ?? call.Stderr), $"{name}: {call}");
        Assert.Contains("portal-launcher: ", call.Stderr, StringComparison.Ordinal);
        Assert.Contains(LauncherRunner.AuditRecords(call), r => r.GetProperty("decision").GetString() == "refused");
        Assert.Empty(LauncherRunner.PodmanStarts(call));
    }

    private static Dictionary<string, string> BuildCorpus()
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string name, string json) => data.Add(name, json);

        // Users: root, uid forms, system, unknown, outside the group, and names that are not names.
        string[] badUsers =
        [
            "root", "0", "#0", "#-1", "#4294967295", "4294967295", "1000", "65534", "nobody", "daemon", "bin",
            "ptest-sys", "ptest-nosuchuser", "ptest-carol", "ptest-alice/..", "../ptest-alice", "..", ".", "a/b",
            "ptest-alice\0", "ptest-alice\0root", "ptest-alice\n", "ptest-alice\nroot", "ptest-alice;id", "$(id)", "`id`",
            "ptest-\u00e4lice", "\u043f\u0442\u0435\u0441\u0442", "", new string('a', 33), "-ptest-alice", "--privileged",
            "Ptest-Alice", "ptest-alice ", " ptest-alice", "ptest alice", "ptest-alice\t", "ptest.alice", "ptest-alice$",
            "ptest-alice:x", "*", "ptest-al*",
        ];
        foreach (string user in badUsers)
        {
            Add("user " + JsonSerializer.Serialize(user), Run(user: user));
        }

        Add("user null", """{"version":1,"verb":"run","user":null,"job":"c1","run":{"image":"localhost/ptest-busybox:latest"}}""");
        Add("user number 0", """{"version":1,"verb":"run","user":0,"job":"c1","run":{"image":"localhost/ptest-busybox:latest"}}""");
        Add("user missing", """{"version":1,"verb":"list"}""");
        Add("list as root", """{"version":1,"verb":"list","user":"root"}""");
        Add("stop as #0", """{"version":1,"verb":"stop","user":"#0","job":"c1"}""");

        // Images that start with '-' or carry options.
        foreach (string image in new[] { "-v", "--privileged", "-it", "--rm", "--volume=/:/host", "localhost/ptest-busybox:latest --privileged",
            "Ubuntu", "../image", "a..b", "image;id", "$(id)", "", new string('a', 256), "img\n", "img\0", "/abs/path", "img with space", "docker://busybox", "img:" })
        {
            Add("image " + JsonSerializer.Serialize(image), Run(image: image));
        }

        // Podman options smuggled into the command or the environment.
        foreach (string arg in new[] { "--privileged", "--cap-add=ALL", "--cap-add", "--security-opt=seccomp=unconfined", "--userns=host", "--pid=host", "--network=host", "--volume=/:/host", "a\0b" })
        {
            Add("command " + JsonSerializer.Serialize(arg), Run(command: ["sh", arg]));
        }

        Add("command too many items", Run(command: Enumerable.Repeat("x", 257).ToArray()));
        Add("command item too long", Run(command: [new string('x', 8193)]));
        foreach ((string key, string value) in new[] { ("A=B", "x"), ("A\0", "x"), ("--privileged", "1"), ("--cap-add", "ALL"), ("", "x"), ("1ABC", "x"), ("LD PRELOAD", "x"),
            ("CUDA_VISIBLE_DEVICES", "0"), ("NVIDIA_VISIBLE_DEVICES", "all"), ("X", "a\nb"), ("X", "a\0b"), ("\u00c4", "x") })
        {
            Add($"env {JsonSerializer.Serialize(key)}={JsonSerializer.Serialize(value)}", Run(env: new Dictionary<string, string> { [key] = value }));
        }

        Add("env too many", Run(env: Enumerable.Range(0, 129).ToDictionary(i => "V" + i, _ => "x")));

        // Mounts outside the allowed roots, through symlinks, with '..', or with mount syntax.
        foreach ((string source, string target) in new[]
        {
            ("/etc", "/data"), ("/", "/data"), ("/root", "/data"), ("/home/ptest-bob", "/data"), ("/home/ptest-alice/../ptest-bob", "/data"),
            ("/home/ptest-alice/./data", "/data"), ("home/ptest-alice/data", "/data"), ("/home/ptest-alice/link-to-etc", "/data"),
            (LauncherFixture.ProjectsRoot + "/alice/escape", "/data"), ("/home/ptest-alice/data,ro=false", "/data"), ("/home/ptest-alice/data:/x", "/data"),
            ("/home/ptest-alice/data", "/"), ("/home/ptest-alice/data", "/proc/x"), ("/home/ptest-alice/data", "/dev/x"), ("/home/ptest-alice/data", "/sys"),
            ("/home/ptest-alice/data", "relative"), ("/home/ptest-alice/data", "/data/../etc"), ("/var/lib/portal-launcher-test", "/data"),
            ("/home/ptest-alice/nonexistent", "/data"), ("/home/ptest-alice/data/", "/data"),
        })
        {
            Add($"mount {source} -> {target}", Run(mounts: [new Dictionary<string, object> { ["source"] = source, ["target"] = target }]));
        }

        // Devices the policy does not list.
        foreach (string[] gpus in new[] { new[] { "2" }, ["nvidia0"], ["/dev/nvidia0"], ["0", "0"], ["-1"], ["all"], ["../0"], [""] })
        {
            Add("gpus " + JsonSerializer.Serialize(gpus), Run(gpus: gpus));
        }

        // Malformed, oversized, wrong version, unknown fields, duplicated keys.
        string valid = Run();
        Add("oversized", valid[..^1] + ",\"pad\":\"" + new string('x', 70_000) + "\"}");
        Add("oversized whitespace", new string(' ', 70_000) + valid);
        Add("not json", "run alice");
        Add("empty", "");
        Add("json null", "null");
        Add("json array", "[]");
        Add("json string", "\"run\"");
        Add("truncated", valid[..^5]);
        Add("two requests on two lines", valid + "\n" + valid + "\n");
        Add("data after the request's newline", valid + "\nrun bob\n");
        Add("request split by a newline, then data", valid[..^1] + "\n}x\n");
        Add("version missing", """{"verb":"list","user":"ptest-alice"}""");
        Add("version 2", """{"version":2,"verb":"list","user":"ptest-alice"}""");
        Add("version 0", """{"version":0,"verb":"list","user":"ptest-alice"}""");
        Add("version as string", """{"version":"1","verb":"list","user":"ptest-alice"}""");
        Add("version as float", """{"version":1.5,"verb":"list","user":"ptest-alice"}""");
        Add("unknown top-level field", """{"version":1,"verb":"list","user":"ptest-alice","privileged":true}""");
        Add("unknown run field", Run()[..^2] + ",\"privileged\":true}}");
        Add("unknown run field devices", Run()[..^2] + ",\"devices\":[\"/dev/sda\"]}}");
        Add("unknown mount field", Run(mounts: [new Dictionary<string, object> { ["source"] = "/home/ptest-alice/data", ["target"] = "/data", ["propagation"] = "shared" }]));
        Add("duplicate version", """{"version":1,"version":1,"verb":"list","user":"ptest-alice"}""");
        Add("duplicate user (alice then root)", """{"version":1,"verb":"list","user":"ptest-alice","user":"root"}""");
        Add("duplicate env key", """{"version":1,"verb":"run","user":"ptest-alice","job":"c1","run":{"image":"localhost/ptest-busybox:latest","env":{"A":"1","A":"2"}}}""");
        Add("trailing comma", """{"version":1,"verb":"list","user":"ptest-alice",}""");
        Add("comment", """{"version":1,/*x*/"verb":"list","user":"ptest-alice"}""");
        Add("too deep", """{"version":1,"verb":"list","user":"ptest-alice","x":[[[[[[[[[[[[]]]]]]]]]]]]}""");
        Add("verb unknown", """{"version":1,"verb":"exec","user":"ptest-alice"}""");
        Add("verb upper case", """{"version":1,"verb":"RUN","user":"ptest-alice","job":"c1","run":{"image":"localhost/ptest-busybox:latest"}}""");
        Add("verb with space", """{"version":1,"verb":"list ","user":"ptest-alice"}""");
        Add("run without run section", """{"version":1,"verb":"run","user":"ptest-alice","job":"c1"}""");
        Add("list with run section", """{"version":1,"verb":"list","user":"ptest-alice","run":{"image":"localhost/ptest-busybox:latest"}}""");
        Add("list with a job", """{"version":1,"verb":"list","user":"ptest-alice","job":"c1"}""");
        Add("logs untilStdinCloses without follow", """{"version":1,"verb":"logs","user":"ptest-alice","job":"c1","logs":{"untilStdinCloses":true}}""");
        Add("stop with logs section", """{"version":1,"verb":"stop","user":"ptest-alice","job":"c1","logs":{"tail":1}}""");
        foreach (string job in new[] { "../x", "-x", "A", "", new string('a', 65), "x;y", "x/y", "x y", "x\0" })
        {
            Add("job " + JsonSerializer.Serialize(job), Run(job: job));
        }

        Add("logs tail negative", """{"version":1,"verb":"logs","user":"ptest-alice","job":"c1","logs":{"tail":-1}}""");
        Add("stop timeout negative", """{"version":1,"verb":"stop","user":"ptest-alice","job":"c1","stop":{"timeoutSeconds":-1}}""");
        Add("pids limit 0", Run()[..^2] + ",\"pidsLimit\":0}}");
        Add("pids limit above policy", Run()[..^2] + ",\"pidsLimit\":99999}}");
        Add("log size tiny", Run()[..^2] + ",\"logMaxBytes\":1}}");
        Add("cpus 0", Run()[..^2] + ",\"cpus\":0}}");
        Add("cpus negative", Run()[..^2] + ",\"cpus\":-1}}");
        Add("cpus above the host", Run()[..^2] + ",\"cpus\":100000}}");
        Add("cpus as string", Run()[..^2] + ",\"cpus\":\"2\"}}");
        Add("cpus tiny", Run()[..^2] + ",\"cpus\":0.001}}");
        Add("memory below podman's minimum", Run()[..^2] + ",\"memoryMiB\":5}}");
        Add("memory negative", Run()[..^2] + ",\"memoryMiB\":-64}}");
        Add("memory absurd", Run()[..^2] + ",\"memoryMiB\":9223372036854775807}}");
        Add("memory as float", Run()[..^2] + ",\"memoryMiB\":64.5}}");
        Add("workdir relative", Run()[..^2] + ",\"workdir\":\"tmp\"}}");
        Add("workdir with ..", Run()[..^2] + ",\"workdir\":\"/a/../b\"}}");
        Add("provision-user root", """{"version":1,"verb":"provision-user","user":"root"}""");
        Add("provision-user #0", """{"version":1,"verb":"provision-user","user":"#0"}""");
        Add("provision-user system user", """{"version":1,"verb":"provision-user","user":"ptest-sys"}""");
        AddAppCases(Add);
        return data;
    }

    /// <summary>app-up and the app verbs: the app rules, and every job rule through a service's run section.</summary>
    private static void AddAppCases(Action<string, string> add)
    {
        const string image = LauncherFixture.Image;
        string Svc(string name = "web", string run = "", string extra = "") =>
            $$$"""{"name":"{{{name}}}","run":{"image":"{{{image}}}"{{{run}}}}{{{extra}}}}""";
        string App(string services, string extra = "", string user = "ptest-alice") =>
            $$$"""{"version":1,"verb":"app-up","user":"{{{user}}}","job":"a1","app":{"services":[{{{services}}}]{{{extra}}}}}""";

        add("app no services", App(""));
        add("app 17 services", App(string.Join(",", Enumerable.Range(0, 17).Select(i => Svc("s" + i)))));
        add("app service name uppercase", App(Svc("Web")));
        add("app service name with dot", App(Svc("web.evil")));
        add("app service name localhost", App(Svc("localhost")));
        add("app service name option", App(Svc("--privileged")));
        add("app service name twice", App(Svc() + "," + Svc()));
        add("app image option", App("""{"name":"web","run":{"image":"--privileged"}}"""));
        add("app image absent", App("""{"name":"web","run":{}}"""));
        add("app command smuggles privileged", App(Svc(run: ""","command":["--privileged"]""")));
        add("app entrypoint smuggles cap-add", App(Svc(extra: ""","entrypoint":["--cap-add=ALL"]""")));
        add("app entrypoint NUL", App(Svc(extra: ""","entrypoint":["sh\u0000"]""")));
        add("app reserved env", App(Svc(run: ""","env":{"CUDA_VISIBLE_DEVICES":"0,1"}""")));
        add("app gpu unknown", App(Svc(run: ""","gpus":["7"]""")));
        add("app gpu to two services", App(Svc("a", run: ""","gpus":["0"]""") + "," + Svc("b", run: ""","gpus":["0"]""")));
        add("app mount outside roots", App(Svc(run: ""","mounts":[{"source":"/etc","target":"/e"}]""")));
        add("app mount through symlink", App(Svc(run: ""","mounts":[{"source":"/home/ptest-alice/link-to-etc","target":"/e"}]""")));
        add("app mount project escape symlink", App(Svc(run: $$""","mounts":[{"source":"{{LauncherFixture.ProjectsRoot}}/alice/escape","target":"/e"}]""")));
        add("app mount of bob's home", App(Svc(run: ""","mounts":[{"source":"/home/ptest-bob","target":"/b"}]""")));
        add("app mount over hosts file", App(Svc(run: ""","mounts":[{"source":"/home/ptest-alice","target":"/etc/hosts"}]""")));
        add("app undeclared volume", App(Svc(extra: ""","volumes":[{"volume":"data","target":"/d"}]""")));
        add("app volume bad name", App(Svc(extra: ""","volumes":[{"volume":"../etc","target":"/d"}]"""), ""","volumes":["../etc"]"""));
        add("app volume over hosts file", App(Svc(extra: ""","volumes":[{"volume":"data","target":"/etc/hosts"}]"""), ""","volumes":["data"]"""));
        add("app volume over proc", App(Svc(extra: ""","volumes":[{"volume":"data","target":"/proc"}]"""), ""","volumes":["data"]"""));
        add("app volume named twice", App(Svc(), ""","volumes":["data","data"]"""));
        add("app portal label", App(Svc(extra: ""","labels":{"portal.job":"42"}""")));
        add("app portal label any case", App(Svc(extra: ""","labels":{"Portal.Owner":"root"}""")));
        add("app label newline", App(Svc(extra: ""","labels":{"a":"b\nc"}""")));
        add("app label key with equals", App(Svc(extra: ""","labels":{"a=b":"c"}""")));
        add("app depends on later service", App(Svc("a", extra: ""","dependsOn":[{"service":"b","condition":"started"}]""") + "," + Svc("b")));
        add("app depends on itself", App(Svc("a", extra: ""","dependsOn":[{"service":"a","condition":"started"}]""")));
        add("app healthy without healthcheck", App(Svc("a") + "," + Svc("b", extra: ""","dependsOn":[{"service":"a","condition":"healthy"}]""")));
        add("app unknown condition", App(Svc("a") + "," + Svc("b", extra: ""","dependsOn":[{"service":"a","condition":"completed"}]""")));
        add("app healthcheck bad shape", App(Svc(extra: ""","healthcheck":{"test":["wget","x"]}""")));
        add("app healthcheck interval 0", App(Svc(extra: ""","healthcheck":{"test":["CMD","true"],"intervalSeconds":0}""")));
        add("app healthcheck forever", App(Svc(extra: ""","healthcheck":{"test":["CMD","true"],"startPeriodSeconds":100000}""")));
        add("app privileged field", App(Svc(extra: ""","privileged":true""")));
        add("app unknown field in run", App(Svc(run: ",\"network\":\"host\"")));
        add("app section on run verb", """{"version":1,"verb":"run","user":"ptest-alice","job":"a1","run":{"image":"x"},"app":{"services":[]}}""");
        add("app-up without app", """{"version":1,"verb":"app-up","user":"ptest-alice","job":"a1"}""");
        add("app-up as root", App(Svc(), user: "root"));
        add("app-up without job", App(Svc()).Replace("\"job\":\"a1\",", "", StringComparison.Ordinal));
        add("app-logs without service", """{"version":1,"verb":"app-logs","user":"ptest-alice","job":"a1","logs":{}}""");
        add("app-logs bad service", """{"version":1,"verb":"app-logs","user":"ptest-alice","job":"a1","logs":{"service":"../x"}}""");
        add("logs with a service", """{"version":1,"verb":"logs","user":"ptest-alice","job":"a1","logs":{"service":"web"}}""");
        add("app-stop with run section", """{"version":1,"verb":"app-stop","user":"ptest-alice","job":"a1","run":{"image":"x"}}""");
    }

    private static string Run(string user = "ptest-alice", string job = "c1", string image = LauncherFixture.Image, string[]? command = null,
        Dictionary<string, string>? env = null, string[]? gpus = null, object[]? mounts = null)
    {
        var run = new Dictionary<string, object> { ["image"] = image, ["command"] = command ?? ["true"] };
        if (env is not null)
        {
            run["env"] = env;
        }

        if (gpus is not null)
        {
            run["gpus"] = gpus;
        }

        if (mounts is not null)
        {
            run["mounts"] = mounts;
        }

        return JsonSerializer.Serialize(new Dictionary<string, object> { ["version"] = 1, ["verb"] = "run", ["user"] = user, ["job"] = job, ["run"] = run });
    }
}

using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Core.Sessions;
using Portal.Core.Scheduling;
using Portal.Launcher.Protocol;

namespace Portal.Core.Tests.Jobs;

public sealed class JobSpecValidatorTests
{
    private static readonly EffectiveQuota Quota = new(
        MaxConcurrentGpus: 2, MaxConcurrentJobs: 4, MaxQueuedJobs: 10, GpuHoursPerWindow: 100,
        Window: TimeSpan.FromDays(7), MaxWalltime: TimeSpan.FromHours(24), MaxCpusPerJob: 16, MaxMemoryMiBPerJob: 65536);

    private static readonly JobSubmitContext User = new(
        IsAdmin: false, Quota, QueuedJobsOfOwner: 0,
        [new MountRoot("/home/alice", ReadOnly: false), new MountRoot("/srv/datasets", ReadOnly: true)],
        ["GPU-a", "GPU-b", "GPU-c", "GPU-d"]);

    private static readonly JobSpec Valid = new()
    {
        Name = "train-resnet_1.2",
        Image = "localhost/pytorch:2.5",
        Command = ["python3", "train.py", "--epochs", "10; rm -rf /"],
        Environment = new Dictionary<string, string> { ["WANDB_MODE"] = "offline" },
        WorkingDirectory = "/work",
        Mounts = [new MountSpec("/home/alice/project", "/work", false), new MountSpec("/srv/datasets/imagenet", "/data", true)],
        Gpus = GpuRequest.Any(2),
        Cpus = 8,
        MemoryMiB = 32768,
        Walltime = TimeSpan.FromHours(12),
    };

    private static IReadOnlyList<FieldError> Errors(JobSpec spec, JobSubmitContext? context = null) =>
        JobSpecValidator.Validate(spec, context ?? User);

    private static void AssertOnlyError(IReadOnlyList<FieldError> errors, string field, string message)
    {
        var error = Assert.Single(errors);
        Assert.Equal(field, error.Field);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void A_complete_request_within_quota_is_accepted() => Assert.Empty(Errors(Valid));

    private static JobSubmitContext OnCluster(int maxGpusPerNode) =>
        User with { GpuUuidsOnBox = [], Cluster = new ClusterCapacity(maxGpusPerNode) };

    [Fact]
    public void On_a_Slurm_cluster_a_job_is_checked_against_the_largest_node_not_this_host() =>
        Assert.Empty(Errors(Valid, OnCluster(maxGpusPerNode: 2)));

    [Fact]
    public void On_a_Slurm_cluster_more_gpus_than_the_largest_node_has_is_refused() =>
        AssertOnlyError(Errors(Valid with { Gpus = GpuRequest.Any(2) }, OnCluster(maxGpusPerNode: 1)),
            "Gpus", "asks for 2 GPUs; the cluster's largest node has 1.");

    [Fact]
    public void On_a_Slurm_cluster_whose_launcher_policy_names_no_node_sockbridge_a_session_is_refused_at_submit_rather_than_by_the_launcher_later()
    {
        var errors = Errors(Valid with { Session = new SessionApp(SessionKind.Jupyter) }, OnCluster(maxGpusPerNode: 2));

        Assert.Contains(errors, e => e.Field == nameof(JobSpec.Session) && e.Message.Contains("slurm.nodeBridge", StringComparison.Ordinal));
    }

    [Fact]
    public void On_a_Slurm_cluster_whose_launcher_policy_names_the_node_sockbridge_a_session_is_accepted() =>
        Assert.Empty(Errors(Valid with { Session = new SessionApp(SessionKind.Jupyter) },
            User with { GpuUuidsOnBox = [], Cluster = new ClusterCapacity(2, Sessions: true) }));

    [Fact]
    public void On_one_box_a_session_is_not_refused_for_the_cluster_reason() =>
        Assert.DoesNotContain(Errors(Valid with { Session = new SessionApp(SessionKind.Jupyter) }),
            e => e.Message.Contains("Slurm cluster", StringComparison.Ordinal));

    [Fact]
    public void Too_many_gpus_is_refused_naming_the_limit() =>
        AssertOnlyError(Errors(Valid with { Gpus = GpuRequest.Any(4), Walltime = TimeSpan.FromHours(1) }),
            "Gpus", "asks for 4 GPUs; your limit is 2.");

    [Fact]
    public void More_gpus_than_the_machine_has_is_refused()
    {
        var errors = Errors(Valid with { Gpus = GpuRequest.Any(5), Walltime = TimeSpan.FromHours(1) },
            User with { Quota = Quota with { MaxConcurrentGpus = 8 } });

        AssertOnlyError(errors, "Gpus", "asks for 5 GPUs; this machine has 4.");
    }

    [Fact]
    public void A_gpu_job_on_a_box_without_gpus_is_refused() =>
        AssertOnlyError(Errors(Valid with { Gpus = GpuRequest.Any(1) }, User with { GpuUuidsOnBox = [] }),
            "Gpus", "asks for 1 GPU; this machine has no GPU.");

    [Fact]
    public void A_cpu_only_job_on_a_box_without_gpus_is_accepted() =>
        Assert.Empty(Errors(Valid with { Gpus = GpuRequest.None }, User with { GpuUuidsOnBox = [] }));

    [Fact]
    public void More_gpu_hours_than_the_window_allows_can_never_run_and_is_refused() =>
        AssertOnlyError(Errors(Valid with { Walltime = TimeSpan.FromHours(24) }, User with { Quota = Quota with { GpuHoursPerWindow = 40 } }),
            "Gpus", "asks for up to 48 GPU-hours (2 GPUs for 24 h); your limit is 40 GPU-hours per 7 days.");

    [Fact]
    public void Cpus_memory_and_walltime_over_the_limits_are_each_named()
    {
        var errors = Errors(Valid with { Cpus = 32, MemoryMiB = 100_000, Walltime = TimeSpan.FromHours(48), Gpus = GpuRequest.Any(1) });

        Assert.Equal(
            [
                new FieldError("Cpus", "asks for 32 CPUs; your limit is 16 per job."),
                new FieldError("MemoryMiB", "asks for 100000 MiB of memory; your limit is 65536 MiB per job."),
                new FieldError("Walltime", "asks for 2 days; your limit is 24 h."),
            ],
            errors);
    }

    [Fact]
    public void Every_missing_field_is_reported_at_once()
    {
        var errors = Errors(new JobSpec { Name = "", Image = " ", Cpus = 0, MemoryMiB = 0, Walltime = TimeSpan.Zero });

        Assert.Equal(["Name", "Image", "Cpus", "MemoryMiB", "Walltime"], errors.Select(e => e.Field));
    }

    [Theory]
    [InlineData("-v")]
    [InlineData("--privileged")]
    [InlineData("Ubuntu")]
    [InlineData("busybox latest")]
    [InlineData("busybox:")]
    [InlineData("a//b")]
    [InlineData("Docker.io/library/python")]
    [InlineData("localhost/BusyBox")]
    [InlineData("a..b")]
    [InlineData("a._b")]
    [InlineData("a___b")]
    [InlineData("host:/x")]
    [InlineData("host..example/x")]
    [InlineData("localhost/busybox@sha256:abc")]
    [InlineData("busybox:-tag")]
    public void Image_references_that_are_not_references_are_refused(string image) =>
        Assert.Equal("Image", Assert.Single(Errors(Valid with { Image = image })).Field);

    [Theory]
    [InlineData("busybox")]
    [InlineData("docker.io/library/python:3.12-slim")]
    [InlineData("registry.example.org:5000/team/model_x:v1.0")]
    [InlineData("localhost/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("registry.Example.COM/team/a__b---c.d:Tag_1")]
    [InlineData("10.0.0.1:80/x")]
    [InlineData("localhost:5000")]
    public void Ordinary_image_references_are_accepted(string image) => Assert.Empty(Errors(Valid with { Image = image }));

    [Fact]
    public void A_read_only_root_inside_a_writable_one_keeps_its_mounts_read_only()
    {
        var context = User with { AllowedMountRoots = [new MountRoot("/home/alice", ReadOnly: false), new MountRoot("/home/alice/shared", ReadOnly: true)] };

        AssertOnlyError(Errors(Valid with { Mounts = [new MountSpec("/home/alice/shared/set", "/data", false)] }, context),
            "Mounts", "'/home/alice/shared/set' can only be mounted read-only.");
        Assert.Empty(Errors(Valid with { Mounts = [new MountSpec("/home/alice/shared/set", "/data", true)] }, context));
    }

    [Theory]
    [InlineData("-x")]
    [InlineData("a b")]
    [InlineData("../x")]
    public void Names_that_do_not_fit_a_label_are_refused(string name) =>
        Assert.Equal("Name", Assert.Single(Errors(Valid with { Name = name })).Field);

    [Theory]
    [InlineData("/etc", "/x", false, "'/etc' is outside the folders you may mount (/home/alice, /srv/datasets).")]
    [InlineData("/home/alice2", "/x", false, "'/home/alice2' is outside the folders you may mount (/home/alice, /srv/datasets).")]
    [InlineData("/home/alice/../bob", "/x", false, "'/home/alice/../bob' is not a usable mount path: an absolute path of letters, digits and . _ - @ + without '.', '..' or empty parts or a trailing '/'.")]
    [InlineData("relative", "/x", false, "'relative' is not a usable mount path: an absolute path of letters, digits and . _ - @ + without '.', '..' or empty parts or a trailing '/'.")]
    [InlineData("/srv/datasets/imagenet", "/x", false, "'/srv/datasets/imagenet' can only be mounted read-only.")]
    [InlineData("/home/alice", "/proc/self", false, "'/proc/self' cannot be a mount target in the container.")]
    [InlineData("/home/alice", "/", false, "'/' cannot be a mount target in the container.")]
    public void Mounts_outside_the_allowed_roots_or_onto_system_paths_are_refused(string source, string target, bool readOnly, string message) =>
        AssertOnlyError(Errors(Valid with { Mounts = [new MountSpec(source, target, readOnly)] }), "Mounts", message);

    [Fact]
    public void The_same_mount_target_twice_is_refused() =>
        AssertOnlyError(Errors(Valid with { Mounts = [new("/home/alice/a", "/w", false), new("/home/alice/b", "/w", false)] }),
            "Mounts", "'/w' is mounted twice.");

    [Theory]
    [InlineData("CUDA_VISIBLE_DEVICES", "0", "CUDA_VISIBLE_DEVICES is reserved: a job's GPU environment is set from the GPUs allocated to it.")]
    [InlineData("NVIDIA_DRIVER_CAPABILITIES", "all", "NVIDIA_DRIVER_CAPABILITIES is reserved: a job's GPU environment is set from the GPUs allocated to it.")]
    [InlineData("1BAD", "x", "'1BAD' is not a valid variable name (up to 128 letters, digits and '_', not starting with a digit).")]
    [InlineData("A-B", "x", "'A-B' is not a valid variable name (up to 128 letters, digits and '_', not starting with a digit).")]
    [InlineData("OK", "a\0b", "The value of OK cannot contain NUL characters or line breaks.")]
    [InlineData("OK", "a\nb", "The value of OK cannot contain NUL characters or line breaks.")]
    [InlineData("OK", "a\rb", "The value of OK cannot contain NUL characters or line breaks.")]
    public void Bad_environment_entries_are_refused(string key, string value, string message) =>
        AssertOnlyError(Errors(Valid with { Environment = new Dictionary<string, string> { [key] = value } }), "Environment", message);

    [Fact]
    public void A_nul_in_an_argument_is_refused() =>
        AssertOnlyError(Errors(Valid with { Command = ["sh", "-c\0"] }), "Command", "Arguments cannot contain NUL characters.");

    [Theory]
    [InlineData("/home/alice/project/", "/x")]
    [InlineData("/home/alice/my project", "/x")]
    [InlineData("/home/alice/a,ro=false", "/x")]
    [InlineData("/home/alice/a:b", "/x")]
    [InlineData("/home/alice/a=b", "/x")]
    [InlineData("/home/alice//project", "/x")]
    [InlineData("/home/alice", "/x/")]
    [InlineData("/home/alice", "/x y")]
    public void Mount_paths_the_launcher_would_refuse_are_refused_at_submit(string source, string target) =>
        Assert.Equal("Mounts", Assert.Single(Errors(Valid with { Mounts = [new MountSpec(source, target, false)] })).Field);

    [Fact]
    public void An_argument_over_8_KiB_is_refused() =>
        AssertOnlyError(Errors(Valid with { Command = ["echo", new string('x', 8193)] }), "Command", "An argument is longer than 8192 characters.");

    [Fact]
    public void An_argument_of_exactly_8_KiB_is_accepted() => Assert.Empty(Errors(Valid with { Command = ["echo", new string('x', 8192)] }));

    [Fact]
    public void A_request_too_large_for_the_launcher_is_refused_on_the_field_that_fills_it()
    {
        // Nine arguments of 8 KiB each are each allowed, but together over the launcher's 64 KiB request limit.
        var error = Assert.Single(Errors(Valid with { Command = [.. Enumerable.Repeat(new string('x', 8192), 9)] }));

        Assert.Equal("Command", error.Field);
        Assert.StartsWith("The command, environment and mounts together take ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Characters_json_escapes_count_as_sent()
    {
        // The client's serializer writes '<' as \u003C, six bytes: two arguments of 8,192 of them are 96 KiB as sent.
        var spec = Valid with { Command = [.. Enumerable.Repeat(new string('<', 8192), 2)] };

        Assert.Equal("Command", Assert.Single(Errors(spec)).Field);
    }

    [Theory]
    [InlineData(0.001)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Fewer_cpus_than_podman_can_be_given_are_refused(double cpus) =>
        AssertOnlyError(Errors(Valid with { Cpus = cpus }), "Cpus", "Ask for at least 0.01 CPUs.");

    [Fact]
    public void Less_memory_than_podman_accepts_is_refused() =>
        AssertOnlyError(Errors(Valid with { MemoryMiB = 5 }), "MemoryMiB", "Ask for at least 6 MiB of memory.");

    [Theory]
    [InlineData("/work dir")]
    [InlineData("/a,b")]
    public void A_working_directory_may_hold_characters_only_mount_paths_may_not(string directory) =>
        Assert.Empty(Errors(Valid with { WorkingDirectory = directory }));

    [Theory]
    [InlineData("/work/")]
    [InlineData("/a/\tb")]
    public void A_working_directory_with_a_trailing_slash_or_a_control_character_is_refused(string directory) =>
        Assert.Equal("WorkingDirectory", Assert.Single(Errors(Valid with { WorkingDirectory = directory })).Field);

    [Fact]
    public void A_relative_working_directory_is_refused() =>
        Assert.Equal("WorkingDirectory", Assert.Single(Errors(Valid with { WorkingDirectory = "work" })).Field);

    [Fact]
    public void Specific_gpus_are_for_administrators_only()
    {
        var spec = Valid with { Gpus = GpuRequest.Specific(["GPU-c"]) };

        AssertOnlyError(Errors(spec), "Gpus", "Only administrators can pick specific GPUs; ask for a number of GPUs instead.");
        Assert.Empty(Errors(spec, User with { IsAdmin = true }));
    }

    [Fact]
    public void An_unknown_specific_gpu_is_refused() =>
        AssertOnlyError(Errors(Valid with { Gpus = GpuRequest.Specific(["GPU-z"]) }, User with { IsAdmin = true }),
            "Gpus", "There is no GPU GPU-z on this machine.");

    [Fact]
    public void Only_administrators_set_a_priority() =>
        AssertOnlyError(Errors(Valid with { Priority = 5 }), "Priority", "Only administrators can set a priority.");

    [Fact]
    public void A_full_queue_refuses_the_submission_as_a_whole() =>
        AssertOnlyError(Errors(Valid, User with { QueuedJobsOfOwner = 10 }), "", "You already have 10 queued jobs; your limit is 10.");

    [Fact]
    public void More_cpus_or_memory_than_the_box_gives_jobs_is_refused()
    {
        var errors = Errors(Valid with { Cpus = 12, MemoryMiB = 60000 }, User with { Host = new HostCapacity(8, 49152) });

        Assert.Equal(
            [
                new FieldError("Cpus", "asks for 12 CPUs; this machine gives jobs 8."),
                new FieldError("MemoryMiB", "asks for 60000 MiB of memory; this machine gives jobs 49152 MiB."),
            ],
            errors);
    }
}

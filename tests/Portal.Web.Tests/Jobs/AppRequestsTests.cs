using Portal.Core.Apps;
using Portal.Jobs;
using Portal.Launcher.Protocol;

namespace Portal.Web.Tests.Jobs;

/// <summary>The launcher request the job runner builds for an app from its stored file and the ledger's GPUs.</summary>
public sealed class AppRequestsTests
{
    private const string File = """
        services:
          viewer:
            image: localhost/busybox
            depends_on:
              trainer: {condition: service_healthy}
            deploy: {resources: {reservations: {devices: [{count: 1, capabilities: [gpu]}]}}}
          trainer:
            image: localhost/busybox
            command: ["python", "train.py"]
            environment: {EPOCHS: "3"}
            volumes: ["/home/a/data:/data:ro", "cache:/cache"]
            healthcheck: {test: ["CMD-SHELL", "test -e /tmp/ready"], interval: 2s, timeout: 3s, retries: 4}
            deploy: {resources: {reservations: {devices: [{count: 2, capabilities: [gpu]}]}}}
        volumes:
          cache: {}
        """;

    [Fact]
    public void The_ledgers_GPUs_go_to_the_services_in_start_order_each_to_one_service()
    {
        var spec = AppFileParser.Parse(File).Spec!;
        var job = AppSpecValidator.AsAppJob(spec, new AppSubmission("a", TimeSpan.FromHours(1)), File);

        var request = AppRequests.Build(job, ["GPU-1", "GPU-2", "GPU-3"]);

        Assert.Equal(["trainer", "viewer"], request.Services.Select(s => s.Name));
        Assert.Equal(["GPU-1", "GPU-2"], request.Services[0].Run.Gpus);
        Assert.Equal(["GPU-3"], request.Services[1].Run.Gpus);
        Assert.Equal(["cache"], request.Volumes);
    }

    [Fact]
    public void On_a_Slurm_cluster_each_service_gets_a_count_of_Slurms_GPUs_and_no_ids_and_the_counts_add_up_to_the_jobs()
    {
        var spec = AppFileParser.Parse(File).Spec!;
        var job = AppSpecValidator.AsAppJob(spec, new AppSubmission("a", TimeSpan.FromHours(1)), File);

        var request = AppRequests.BuildForSlurm(job);

        Assert.Equal([("trainer", 2), ("viewer", 1)], request.Services.Select(s => (s.Name, s.GpuCount ?? 0)));
        Assert.All(request.Services, s => Assert.Null(s.Run.Gpus));
        Assert.Equal(job.Gpus.Count, request.Services.Sum(s => s.GpuCount ?? 0));
        // Everything else is as on one box.
        Assert.Equal(AppRequests.Build(job, ["GPU-1", "GPU-2", "GPU-3"]).Services.Select(s => s with { Run = s.Run with { Gpus = null } }),
            request.Services.Select(s => s with { GpuCount = null }), new ServiceComparer());
    }

    /// <summary>Records with lists compare by reference: compare what the launcher would read.</summary>
    private sealed class ServiceComparer : IEqualityComparer<AppServiceSpec>
    {
        public bool Equals(AppServiceSpec? x, AppServiceSpec? y) => Json(x) == Json(y);

        public int GetHashCode(AppServiceSpec obj) => 0;

        private static string Json(AppServiceSpec? service) => System.Text.Json.JsonSerializer.Serialize(
            new LauncherRequest { Version = 1, Verb = LauncherVerbs.AppUp, App = new Portal.Launcher.Protocol.AppSpec { Services = service is null ? [] : [service] } },
            LauncherJsonContext.Default.LauncherRequest);
    }

    [Fact]
    public void A_service_without_limits_is_sent_the_defaults_it_is_charged_for_so_the_apps_cgroup_holds_the_counted_sum()
    {
        var spec = AppFileParser.Parse(File).Spec!;
        var job = AppSpecValidator.AsAppJob(spec, new AppSubmission("a", TimeSpan.FromHours(1)), File);

        var request = AppRequests.Build(job, ["GPU-1", "GPU-2", "GPU-3"]);

        Assert.All(request.Services, s => Assert.Equal(AppSpecValidator.DefaultServiceCpus, s.Run.Cpus));
        Assert.All(request.Services, s => Assert.Equal(AppSpecValidator.DefaultServiceMemoryMiB, s.Run.MemoryMiB));
        Assert.Equal(AppSpecValidator.TotalCpus(spec), request.Services.Sum(s => s.Run.Cpus!.Value));
        Assert.Equal(AppSpecValidator.TotalMemoryMiB(spec), request.Services.Sum(s => s.Run.MemoryMiB!.Value));
    }

    [Fact]
    public void Every_service_setting_reaches_the_request()
    {
        var spec = AppFileParser.Parse(File).Spec!;
        var job = AppSpecValidator.AsAppJob(spec, new AppSubmission("a", TimeSpan.FromHours(1)), File);

        var trainer = AppRequests.Build(job, ["GPU-1", "GPU-2", "GPU-3"]).Services[0];
        var viewer = AppRequests.Build(job, ["GPU-1", "GPU-2", "GPU-3"]).Services[1];

        Assert.Equal(["python", "train.py"], trainer.Run.Command);
        Assert.Equal("3", trainer.Run.Env!["EPOCHS"]);
        Assert.Equal("/home/a/data", trainer.Run.Mounts!.Single().Source);
        Assert.True(trainer.Run.Mounts!.Single().ReadOnly);
        Assert.Equal("cache", trainer.Volumes!.Single().Volume);
        Assert.Equal(["CMD-SHELL", "test -e /tmp/ready"], trainer.Healthcheck!.Test);
        Assert.Equal((2, 3, 4), (trainer.Healthcheck.IntervalSeconds, trainer.Healthcheck.TimeoutSeconds, trainer.Healthcheck.Retries));
        Assert.Equal(DependencyConditions.Healthy, viewer.DependsOn!.Single().Condition);
    }

    [Fact]
    public void A_GPU_count_that_does_not_match_the_file_is_never_sent()
    {
        var spec = AppFileParser.Parse(File).Spec!;
        var job = AppSpecValidator.AsAppJob(spec, new AppSubmission("a", TimeSpan.FromHours(1)), File);

        Assert.Throws<InvalidOperationException>(() => AppRequests.Build(job, ["GPU-1"]));
    }

    [Fact]
    public void The_web_front_gets_a_bridged_session_section_with_its_entrypoint_folded_into_its_command_and_the_others_none()
    {
        const string file = """
            services:
              ui:
                image: localhost/busybox
                entrypoint: ["httpd"]
                command: ["-f", "-p", "127.0.0.1:8080"]
                x-portal-web: {port: 8080}
              worker:
                image: localhost/busybox
                entrypoint: ["sleep"]
                command: ["300"]
            """;
        var spec = AppFileParser.Parse(file).Spec!;
        var job = AppSpecValidator.AsAppJob(spec, new AppSubmission("a", TimeSpan.FromHours(1)), file);

        var request = AppRequests.Build(job, []);

        var ui = request.Services.Single(s => s.Name == "ui");
        var worker = request.Services.Single(s => s.Name == "worker");
        Assert.Equal(8080, ui.Run.Session?.BridgePort);
        Assert.Equal(["httpd", "-f", "-p", "127.0.0.1:8080"], ui.Run.Command);
        Assert.Null(ui.Entrypoint);
        Assert.Null(worker.Run.Session);
        Assert.Equal(["sleep"], worker.Entrypoint);
        Assert.Null(Portal.Launcher.Protocol.AppRules.WebFrontProblem(request));
    }
}

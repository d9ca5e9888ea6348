using Portal.Core.Apps;

namespace Portal.Core.Tests.Apps;

public sealed class ComposeParsingTests
{
    private const string ModelServerWithUi = """
        name: chat
        x-common: &common
          image: localhost/busybox:latest
          environment:
            LOG_LEVEL: info
        services:
          ui:
            <<: *common
            command: httpd -f -p 8080 -h "/srv/my site"
            depends_on:
              model:
                condition: service_healthy
            x-portal-web: {port: 8080}
            ports: ["8080"]
          model:
            <<: *common
            entrypoint: ["/bin/sh", "-c"]
            command: ["exec sleep 1000"]
            environment: ["MODEL=tiny", "PRICE=$$5"]
            working_dir: /models
            volumes:
              - /home/ptest-alice/models:/models:ro
              - cache:/cache
            healthcheck:
              test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:9000/"]
              interval: 2s
              timeout: 1500ms
              retries: 5
              start_period: 1m
            deploy:
              resources:
                limits: {cpus: "2.5", memory: 4g}
                reservations:
                  devices:
                    - driver: nvidia
                      count: 2
                      capabilities: [gpu]
            ports:
              - target: 9000
        volumes:
          cache: {}
        """;

    [Fact]
    public void AModelServerAndItsUi_AreUnderstoodWithTheirStartOrderGpusMountsAndWebFront()
    {
        // Act
        var result = AppFileParser.Parse(ModelServerWithUi);

        // Assert
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        var spec = result.Spec!;
        Assert.Equal(AppFileKind.Compose, spec.Kind);
        Assert.Equal("chat", spec.Name);
        Assert.Equal(["model", "ui"], spec.Services.Select(s => s.Name));
        Assert.Equal(["cache"], spec.Volumes);
        Assert.Equal(new AppWebFront("ui", 8080), spec.WebFront);
        Assert.Equal(2, spec.TotalGpus);

        var model = spec.Services[0];
        Assert.Equal("localhost/busybox:latest", model.Image);
        Assert.Equal(["/bin/sh", "-c"], model.Entrypoint);
        Assert.Equal(["exec sleep 1000"], model.Command);
        Assert.Equal("tiny", model.Environment["MODEL"]);
        Assert.Equal("$5", model.Environment["PRICE"]);
        Assert.False(model.Environment.ContainsKey("LOG_LEVEL"));
        Assert.Equal("/models", model.WorkingDirectory);
        Assert.Equal([new AppBind("/home/ptest-alice/models", "/models", true, 22)], model.Binds);
        Assert.Equal([new AppVolumeMount("cache", "/cache", false, 23)], model.Volumes);
        Assert.Equal(2.5, model.Cpus);
        Assert.Equal(4096, model.MemoryMiB);
        Assert.Equal(2, model.Gpus);
        Assert.Equal([9000], model.Ports);
        var health = model.Healthcheck!;
        Assert.Equal(["CMD", "wget", "-q", "-O-", "http://127.0.0.1:9000/"], health.Test);
        Assert.Equal(TimeSpan.FromSeconds(2), health.Interval);
        Assert.Equal(TimeSpan.FromSeconds(2), health.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(1), health.StartPeriod);
        Assert.Equal(5, health.Retries);

        var ui = spec.Services[1];
        Assert.Equal(["httpd", "-f", "-p", "8080", "-h", "/srv/my site"], ui.Command);
        Assert.Null(ui.Entrypoint);
        Assert.Equal("info", ui.Environment["LOG_LEVEL"]);
        Assert.Equal([new AppDependency("model", AppDependencyCondition.Healthy, 11)], ui.DependsOn);
        Assert.Equal(0, ui.Gpus);
        Assert.Equal(7, ui.Line);
        Assert.Equal(3, ui.LineOf("image")); // merged from the anchor: the line where the value is written
    }

    [Fact]
    public void ServicesWithoutDependencies_StartInFileOrder_AndAListOfDependenciesMeansStarted()
    {
        // Arrange
        const string text = """
            services:
              c: {image: localhost/busybox, depends_on: [a]}
              b: {image: localhost/busybox}
              a: {image: localhost/busybox}
            """;

        // Act
        var spec = AppFileParser.Parse(text).Spec!;

        // Assert
        Assert.Equal(["b", "a", "c"], spec.Services.Select(s => s.Name));
        Assert.Equal(AppDependencyCondition.Started, spec.Services[2].DependsOn.Single().Condition);
    }

    [Fact]
    public void EveryProblemInAFile_IsReportedAtOnce_InLineOrder()
    {
        // Arrange
        const string text = """
            services:
              web:
                image: localhost/busybox
                privileged: true
                cap_add: [NET_ADMIN]
              db:
                image: ${DB_IMAGE}
                ports: ["5432:5432"]
            """;

        // Act
        var result = AppFileParser.Parse(text);

        // Assert
        Assert.Null(result.Spec);
        Assert.Equal([4, 5, 7, 8], result.Problems.Select(p => p.Line));
        Assert.Equal(["services.web.privileged", "services.web.cap_add", "services.db.image", "services.db.ports"], result.Problems.Select(p => p.Key));
    }

    [Theory]
    [InlineData("services:\n  Web: {image: localhost/busybox}\n", "services.Web")]
    [InlineData("services:\n  web_1: {image: localhost/busybox}\n", "services.web_1")]
    [InlineData("services:\n  localhost: {image: localhost/busybox}\n", "services.localhost")]
    [InlineData("services:\n  web: {command: [sh]}\n", "services.web")]
    [InlineData("services:\n  web: {image: localhost/busybox, command: \"sh -c 'open\"}\n", "services.web.command")]
    [InlineData("services:\n  web: {image: localhost/busybox, depends_on: [nope]}\n", "services.web.depends_on")]
    [InlineData("services:\n  web: {image: localhost/busybox, volumes: [\"data:/data\"]}\n", "services.web.volumes")]
    [InlineData("services:\n  web: {image: localhost/busybox, ports: [80]}\n  db: {image: localhost/busybox, ports: [80]}\n", "services.db.ports")]
    [InlineData("services:\n  web: {image: localhost/busybox, cpus: 1, deploy: {resources: {limits: {cpus: 2}}}}\n", "services.web.deploy.resources.limits.cpus")]
    [InlineData("services:\n  web: {image: localhost/busybox, mem_limit: lots}\n", "services.web.mem_limit")]
    [InlineData("services:\n  web: {image: localhost/busybox, healthcheck: {test: [CMD, true], interval: 0s}}\n", "services.web.healthcheck.interval")]
    [InlineData("services:\n  web: {image: localhost/busybox, healthcheck: {test: [CMD, true], start_interval: 1s}}\n", "services.web.healthcheck.start_interval")]
    [InlineData("services:\n  web: {image: localhost/busybox, depends_on: {db: {condition: service_completed_successfully}}}\n  db: {image: localhost/busybox}\n", "services.web.depends_on.db.condition")]
    [InlineData("services:\n  web: {image: localhost/busybox, x-portal-web: {port: 80}}\n  db: {image: localhost/busybox, x-portal-web: {port: 81}}\n", "services.db")]
    [InlineData("services:\n  web: {image: localhost/busybox, x-debug: true}\n", "services.web.x-debug")]
    [InlineData("services:\n  web: {image: localhost/busybox, environment: {A: \"$1\"}}\n", "services.web.environment.A")]
    public void AFileOutsideTheSubset_IsRefusedAtItsKey(string text, string key)
    {
        // Act
        var result = AppFileParser.Parse(text);

        // Assert
        Assert.Null(result.Spec);
        Assert.Contains(result.Problems, p => p.Key == key && p.Line > 0);
    }

    [Fact]
    public void TopLevelExtensionFields_HoldAnchorsAndAreOtherwiseIgnored()
    {
        // Arrange
        const string text = "version: '3.8'\nx-anything: {privileged: true}\nservices:\n  web: {image: localhost/busybox}\n";

        // Act
        var result = AppFileParser.Parse(text);

        // Assert
        Assert.True(result.IsValid);
    }

    [Fact]
    public void AFileThatIsNeitherComposeNorAPod_IsRefused()
    {
        Assert.Single(AppFileParser.Parse("hello: world\n").Problems);
        Assert.Single(AppFileParser.Parse("- a\n- b\n").Problems);
        Assert.Single(AppFileParser.Parse("").Problems);
        Assert.Single(AppFileParser.Parse("services: [").Problems);
    }
}

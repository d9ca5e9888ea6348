using Portal.Core.Apps;

namespace Portal.Core.Tests.Apps;

public sealed class KubePodParsingTests
{
    [Fact]
    public void APodWithTwoContainers_IsUnderstoodInDeclarationOrder()
    {
        // Arrange
        const string text = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: notebook
              labels: {team: vision}
              annotations: {x-portal-web: "lab:8888"}
            spec:
              restartPolicy: Never
              containers:
                - name: db
                  image: localhost/busybox:latest
                  args: ["sleep", "1000"]
                  env:
                    - {name: PGDATA, value: /data}
                  volumeMounts:
                    - {name: data, mountPath: /data}
                  ports:
                    - containerPort: 5432
                - name: lab
                  image: localhost/busybox:latest
                  command: ["httpd", "-f"]
                  workingDir: /work
                  imagePullPolicy: Never
                  resources:
                    limits: {cpu: 500m, memory: 512Mi, nvidia.com/gpu: 1}
                    requests: {nvidia.com/gpu: 1}
                  volumeMounts:
                    - {name: home, mountPath: /work, readOnly: true}
              volumes:
                - name: data
                  emptyDir: {}
                - name: home
                  hostPath: {path: /home/ptest-alice/work, type: Directory}
            """;

        // Act
        var result = AppFileParser.Parse(text);

        // Assert
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        var spec = result.Spec!;
        Assert.Equal(AppFileKind.KubePod, spec.Kind);
        Assert.Equal("notebook", spec.Name);
        Assert.Equal(["db", "lab"], spec.Services.Select(s => s.Name));
        Assert.Equal(["data"], spec.Volumes);
        Assert.Equal(new AppWebFront("lab", 8888), spec.WebFront);
        var db = spec.Services[0];
        Assert.Null(db.Entrypoint);
        Assert.Equal(["sleep", "1000"], db.Command);
        Assert.Equal("/data", db.Environment["PGDATA"]);
        Assert.Equal("data", db.Volumes.Single().Volume);
        var lab = spec.Services[1];
        Assert.Equal(["httpd", "-f"], lab.Entrypoint);
        Assert.Null(lab.Command);
        Assert.Equal(0.5, lab.Cpus);
        Assert.Equal(512, lab.MemoryMiB);
        Assert.Equal(1, lab.Gpus);
        Assert.Equal(new AppBind("/home/ptest-alice/work", "/work", true, 28), lab.Binds.Single());
    }

    [Fact]
    public void KubernetesVariableReferences_InArgs_AreRefused()
    {
        // Arrange
        const string text = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - {name: a, image: localhost/busybox, args: [\"echo $(HOME)\"]}\n";

        // Act
        var result = AppFileParser.Parse(text);

        // Assert
        Assert.Contains(result.Problems, p => p is { Key: "spec.containers.a.args", Line: 5 });
    }

    [Fact]
    public void ADollarInAPod_IsLiteral_SinceKubernetesNeverReadsTheHostsEnvironment()
    {
        // Arrange
        const string text = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - {name: a, image: localhost/busybox, env: [{name: P, value: \"${HOME}\"}]}\n";

        // Act
        var spec = AppFileParser.Parse(text).Spec!;

        // Assert
        Assert.Equal("${HOME}", spec.Services[0].Environment["P"]);
    }
}

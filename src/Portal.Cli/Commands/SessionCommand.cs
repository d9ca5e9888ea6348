using System.CommandLine;
using System.Globalization;
using Portal.Api.Contracts;

namespace Portal.Cli.Commands;

/// <summary>
/// <c>portal session start jupyter|vscode|webapp [options] [-- command...]</c>: queues an interactive session (a job
/// whose app the portal serves at /s/&lt;id&gt;/) and prints its id and where to open it once it runs.
/// </summary>
internal static class SessionCommand
{
    /// <summary>The image deploy/images/build-jupyter-image.sh builds, used when a Jupyter session names none.</summary>
    public const string DefaultJupyterImage = "localhost/portal-jupyter:deb12";

    public static Command Create()
    {
        var kind = new Argument<string>("kind") { Description = "jupyter, vscode or webapp" };
        kind.AcceptOnlyFromAmong([.. SessionKinds.All]);
        var image = new Option<string?>("--image") { Description = $"A local image (default for jupyter: {DefaultJupyterImage})" };
        var gpus = new Option<int>("--gpus") { Description = "How many GPUs (default 0)", DefaultValueFactory = _ => 0 };
        var name = new Option<string?>("--name") { Description = "A label for the session (default: the kind)" };
        var cpus = new Option<double?>("--cpus") { Description = "CPU cores (default 1)" };
        var memory = new Option<long?>("--memory") { Description = "Memory in MiB (default 4096)" };
        var walltime = new Option<int?>("--walltime") { Description = "Longest run time in minutes (default 60)" };
        var port = new Option<int?>("--port") { Description = "webapp only: the app's TCP port inside the container (it listens on 127.0.0.1)" };
        var env = new Option<string[]>("--env", "-e") { Description = "NAME=value, repeatable" };
        var mounts = new Option<string[]>("--mount", "-v") { Description = "source:target or source:target:ro, repeatable" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory in the container" };
        var command = new Argument<string[]>("command")
        {
            Description = "The app's command after -- (jupyter default: jupyter lab; vscode: code-server; the portal adds the socket options)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var start = new Command("start", "Start an interactive session") { kind, image, gpus, name, cpus, memory, walltime, port, env, mounts, workdir, command };
        start.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(parse, async (api, output) =>
        {
            var (environment, envError) = SubmitCommand.ParseEnvironment(parse.GetValue(env) ?? []);
            var (mountList, mountError) = SubmitCommand.ParseMounts(parse.GetValue(mounts) ?? []);
            string app = parse.GetValue(kind)!;
            string? chosen = parse.GetValue(image) ?? (app == SessionKinds.Jupyter ? DefaultJupyterImage : null);
            string? problem = envError ?? mountError ?? (chosen is null ? $"A {app} session needs --image." : null);
            if (problem is not null)
            {
                output.Error(problem);
                return ExitCodes.Usage;
            }

            var request = new SubmitJobRequest
            {
                Name = parse.GetValue(name) ?? app,
                Image = chosen,
                Command = parse.GetValue(command) ?? [],
                Environment = environment,
                Mounts = mountList,
                WorkingDirectory = parse.GetValue(workdir),
                Gpus = parse.GetValue(gpus),
                Cpus = parse.GetValue(cpus),
                MemoryMiB = parse.GetValue(memory),
                WalltimeMinutes = parse.GetValue(walltime),
                Session = new SessionRequest(app, parse.GetValue(port)),
            };
            var submitted = await api.SubmitAsync(request, cancellationToken);
            if (output.Json)
            {
                output.WriteJson(submitted);
                return ExitCodes.Ok;
            }

            output.Out.WriteLine(submitted.Id.ToString(CultureInfo.InvariantCulture));
            output.Err.WriteLine($"Session {submitted.Id} is {submitted.State}; once it runs, open {api.BaseAddress}s/{submitted.Id}/ "
                + $"(portal show {submitted.Id} says when).");
            return ExitCodes.Ok;
        }, cancellationToken));
        return new Command("session", "Interactive sessions: Jupyter, VS Code or a web app in the browser") { start };
    }
}

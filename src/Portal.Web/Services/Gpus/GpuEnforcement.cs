using System.Globalization;
using Microsoft.Extensions.Options;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Web.Services.Gpus;

/// <summary>One line of the GPU admin page's "on this box": what is kept from happening, and what is only seen.</summary>
/// <param name="Topic">What the line is about.</param>
/// <param name="Enforced">True when the kernel or the launcher stops it; false when it is only detected (or, for device
/// control, not enforced at all).</param>
/// <param name="Summary">The verdict in a few words.</param>
/// <param name="Detail">Why, in the launcher's or the option's own words.</param>
public sealed record EnforcementLine(string Topic, bool Enforced, string Summary, string Detail);

/// <summary>
/// What this box enforces about GPUs and what it only detects, derived from the launcher's self-test (its findings and its
/// policy's facts) and the portal's own option: device control for jobs, GPUs outside jobs (device ACL mode), and
/// processes computing on a GPU outside any allocation.
/// </summary>
public static class GpuEnforcement
{
    public const string JobsTopic = "GPUs inside jobs";
    public const string OutsideTopic = "GPUs outside jobs";
    public const string ProcessesTopic = "Processes outside allocations";

    /// <summary>The three lines; <paramref name="problem"/> when the launcher did not answer.</summary>
    public static IReadOnlyList<EnforcementLine> Lines(SelfTest? test, bool killOption, string? problem)
    {
        if (test is null)
        {
            string why = problem ?? "this launcher reports nothing about the host";
            return
            [
                new(JobsTopic, false, "Unknown", $"The launcher's self-test did not answer: {why}."),
                new(OutsideTopic, false, "Unknown", $"The launcher's self-test did not answer: {why}."),
                Processes(null, killOption),
            ];
        }

        return [Jobs(test.Checks), Outside(test), Processes(test.Policy, killOption)];
    }

    private static EnforcementLine Jobs(IReadOnlyList<CheckItem> checks)
    {
        if (checks.FirstOrDefault(c => c.Name == "device-control") is { } device)
        {
            return device.Status == "ok"
                ? new(JobsTopic, true, "Enforced by the kernel", device.Detail)
                : new(JobsTopic, false, "Not enforced", device.Detail);
        }

        // Dev mode, or no cgroup hierarchy: the launcher makes no job cgroup, so no device filter either.
        string why = checks.FirstOrDefault(c => c.Name == "cgroup")?.Detail ?? "The launcher reports no device control for jobs.";
        return new(JobsTopic, false, "Not enforced", why);
    }

    private static EnforcementLine Outside(SelfTest test)
    {
        var gpus = test.Checks.Where(c => c.Name.StartsWith("gpu ", StringComparison.Ordinal)).ToList();
        if (test.Policy is not { } policy)
        {
            return new(OutsideTopic, false, "Unknown", "The launcher's self-test says nothing of its device ACL mode.");
        }

        if (!policy.ManageDeviceAcls)
        {
            string nodes = gpus.Count == 0 ? "" : " " + string.Join(" ", gpus.Select(g => g.Detail));
            return new(OutsideTopic, false, "Detected only",
                "Device ACL mode is off (the launcher policy's manageDeviceAcls): any account may open a GPU node outside a job; such use is found and audited." + nodes);
        }

        var open = gpus.Where(g => g.Status != "ok").ToList();
        if (gpus.Count == 0)
        {
            return new(OutsideTopic, false, "Nothing to enforce", "Device ACL mode is on, but the launcher policy lists no GPU.");
        }

        return open.Count == 0
            ? new(OutsideTopic, true, "Enforced (device ACL mode)",
                "GPU nodes are root's alone; a job's owner gets an ACL on exactly its GPUs while the job runs, so no process outside a job can open one. "
                + string.Join(" ", gpus.Select(g => g.Detail)))
            : new(OutsideTopic, false, "Not enforced", "Device ACL mode is on, but: " + string.Join(" ", open.Select(g => g.Detail)));
    }

    private static EnforcementLine Processes(PolicyFacts? policy, bool killOption)
    {
        string grace = policy is null ? "" : policy.GpuProcessKillGraceSeconds.ToString(CultureInfo.InvariantCulture);
        return (killOption, policy?.KillGpuProcesses) switch
        {
            (true, true) => new(ProcessesTopic, true, "Ended",
                $"Each new case is audited, told to the administrators and ended as its owner by the launcher: SIGTERM, SIGKILL after {grace} s. Processes inside a job are never picked off: the job is stopped instead."),
            (true, false) => new(ProcessesTopic, false, "Detected and audited only",
                "The portal's option (Portal:Gpus:ForeignProcesses:Kill) asks to end them, but the launcher's policy does not allow it (killGpuProcesses, or a launcher in dev mode)."),
            (true, null) => new(ProcessesTopic, false, "Detected and audited only",
                "The portal's option asks to end them, but the launcher's self-test did not say whether its policy allows it."),
            (false, true) => new(ProcessesTopic, false, "Detected and audited only",
                "The launcher's policy allows ending them, but the portal's option (Portal:Gpus:ForeignProcesses:Kill) is off."),
            _ => new(ProcessesTopic, false, "Detected and audited only",
                "Each new case is audited and told to the administrators; nothing ends them (the launcher policy's killGpuProcesses and the portal's Portal:Gpus:ForeignProcesses:Kill are off)."),
        };
    }
}

/// <summary>Reads <see cref="GpuEnforcement"/>'s lines for the admin page: one self-test of the launcher.</summary>
public sealed class GpuEnforcementReader(ILauncher launcher, IOptions<ForeignGpuProcessOptions> options)
{
    public async Task<IReadOnlyList<EnforcementLine>> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return GpuEnforcement.Lines(await launcher.SelfTestAsync(cancellationToken), options.Value.Kill, null);
        }
        catch (LauncherException e)
        {
            return GpuEnforcement.Lines(null, options.Value.Kill, e.Message);
        }
    }
}

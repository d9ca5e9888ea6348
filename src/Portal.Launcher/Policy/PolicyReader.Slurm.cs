using System.Text.Json;

namespace Portal.Launcher.Policy;

internal static partial class PolicyReader
{
    private static SlurmPolicy ReadSlurm(ref Utf8JsonReader r)
    {
        const string where = "slurm";
        string sbatch = SlurmPolicy.DefaultSbatch, scancel = SlurmPolicy.DefaultScancel;
        string squeue = SlurmPolicy.DefaultSqueue, tail = SlurmPolicy.DefaultTail, srun = SlurmPolicy.DefaultSrun;
        string? nodeBridge = null, config = null, nodePodman = null, nodeRuntime = null, cgroups = null, gpuDevices = null;
        List<string> partitions = [];
        var seen = StartObject(ref r, where);
        while (NextProperty(ref r, seen, where, out string name))
        {
            string field = where + "." + name;
            switch (name)
            {
                case "sbatch": sbatch = String(ref r, field); break;
                case "scancel": scancel = String(ref r, field); break;
                case "squeue": squeue = String(ref r, field); break;
                case "tail": tail = String(ref r, field); break;
                case "srun": srun = String(ref r, field); break;
                case "nodeBridge": nodeBridge = OptionalString(ref r, field); break;
                case "config": config = OptionalString(ref r, field); break;
                case "partitions": partitions = Strings(ref r, field); break;
                case "nodePodman": nodePodman = String(ref r, field); break;
                case "nodeRuntime": nodeRuntime = String(ref r, field); break;
                case "cgroups": cgroups = String(ref r, field); break;
                case "gpuDevices": gpuDevices = String(ref r, field); break;
                default: throw Unknown(where, name);
            }
        }

        return new SlurmPolicy
        {
            Sbatch = sbatch,
            Scancel = scancel,
            Squeue = squeue,
            Tail = tail,
            Srun = srun,
            NodeBridge = nodeBridge,
            Config = config,
            Partitions = partitions,
            NodePodman = nodePodman ?? throw Missing(where, "nodePodman"),
            NodeRuntime = nodeRuntime ?? throw Missing(where, "nodeRuntime"),
            Cgroups = cgroups ?? throw Missing(where, "cgroups"),
            GpuDevices = gpuDevices ?? throw Missing(where, "gpuDevices"),
        };
    }
}

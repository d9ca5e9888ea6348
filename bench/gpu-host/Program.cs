using Portal.Bench.GpuHost;

// Watches the real GPUs through the portal's own sampler, process query and /proc attribution, prints what it saw and
// exits 1 if any expectation failed (see bench/gpu-host/run.sh).
try
{
    var options = CheckOptions.Parse(args);
    var report = await HostObservation.RunAsync(options, Console.Out);
    return report.Print(Console.Out) ? 0 : 1;
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}

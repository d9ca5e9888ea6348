using System.Globalization;
using Portal.Core.Quotas;

namespace Portal.Web.Services.JobForms;

/// <summary>What the launch form can tell before submitting: whether a job of a given GPU count would start now or
/// why it would wait, from the user's quota use and the GPUs free now. The same checks as the scheduler's admission,
/// in the same order, so the sentence matches the pending reason the job would get; jobs of other users ahead in
/// the queue are not known here, so "starts now" means "nothing of yours or of the box stands in the way".</summary>
public static class StartPreview
{
    /// <param name="gpus">GPUs the job asks for.</param>
    /// <param name="usage">The user's limits and use now.</param>
    /// <param name="usableGpus">GPUs present and not drained.</param>
    /// <param name="freeGpus">Usable GPUs no job holds now.</param>
    public static (bool StartsNow, string Text) For(int gpus, QuotaUsage usage, int usableGpus, int freeGpus)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var q = usage.Quota;
        if (gpus > q.MaxConcurrentGpus)
        {
            return (false, $"refused: your GPU limit is {N(q.MaxConcurrentGpus)}");
        }

        if (gpus > usableGpus)
        {
            return (false, usableGpus == 0 && gpus > 0
                ? "waits: no GPU is in service"
                : $"waits: only {N(usableGpus)} {Gpus(usableGpus)} in service");
        }

        if (usage.RunningJobs >= q.MaxConcurrentJobs)
        {
            return (false, $"waits: your job limit {N(q.MaxConcurrentJobs)} is in use");
        }

        if (usage.RunningGpus + gpus > q.MaxConcurrentGpus)
        {
            return (false, $"waits: your GPU limit {N(q.MaxConcurrentGpus)} is in use ({N(usage.RunningGpus)} held by your jobs)");
        }

        if (gpus > 0 && usage.GpuHoursExhausted)
        {
            return (false, "waits: your GPU-hours for the window are used up");
        }

        if (gpus > freeGpus)
        {
            return (false, $"waits for free GPUs: {N(freeGpus)} of {N(usableGpus)} free now");
        }

        return (true, "starts now");
    }

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Gpus(int count) => count == 1 ? "GPU is" : "GPUs are";
}

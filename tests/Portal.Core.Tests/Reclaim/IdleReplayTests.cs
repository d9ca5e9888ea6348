using Portal.Core.Gpus;
using Portal.Core.Reclaim;
using Portal.Core.Tests.Gpus;

namespace Portal.Core.Tests.Reclaim;

/// <summary>
/// Utilisation series replayed through the real sampler (a scripted nvidia-smi, simulated 1 Hz), rolled up into
/// minutes as the portal's GPU monitor does, and judged by the idle detector and the reclaim state.
/// </summary>
public sealed class IdleReplayTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly IdlePolicy TenMinutes = new(5, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(3), ReclaimAction.Stop, TimeSpan.FromHours(8));

    [Fact]
    public async Task The_live_h200_idle_capture_held_for_the_whole_window_is_idle_and_not_before()
    {
        await using var box = await Box.StartAsync(LiveH200.List);

        await box.PlayAsync(TimeSpan.FromMinutes(9), _ => LiveH200.IdleRow);
        var early = box.Verdict(TenMinutes, jobStart: Start);
        await box.PlayAsync(TimeSpan.FromMinutes(2), _ => LiveH200.IdleRow);
        var late = box.Verdict(TenMinutes, jobStart: Start);

        Assert.Equal(IdleVerdictKind.TooEarly, early.Kind);
        Assert.Equal(IdleVerdictKind.Idle, late.Kind);
        Assert.Equal(1.0, late.Coverage);
        Assert.Equal(0, late.HighestUtilization);
    }

    [Fact]
    public async Task One_second_of_the_loaded_capture_in_the_window_keeps_the_job_busy()
    {
        await using var box = await Box.StartAsync(LiveH200.List);

        await box.PlayAsync(TimeSpan.FromMinutes(11), second => second == 300 ? LiveH200.LoadedRow : LiveH200.IdleRow);
        var verdict = box.Verdict(TenMinutes, jobStart: Start);

        Assert.Equal(IdleVerdictKind.Busy, verdict.Kind);
        Assert.Equal(95, verdict.HighestUtilization);
    }

    [Fact]
    public async Task A_sampling_gap_of_three_minutes_in_an_idle_window_is_not_idle()
    {
        await using var box = await Box.StartAsync(LiveH200.List);

        await box.PlayAsync(TimeSpan.FromMinutes(4), _ => LiveH200.IdleRow);
        box.Skip(TimeSpan.FromMinutes(3));
        await box.PlayAsync(TimeSpan.FromMinutes(4), _ => LiveH200.IdleRow);
        var verdict = box.Verdict(TenMinutes, jobStart: Start);

        Assert.Equal(IdleVerdictKind.NotEnoughData, verdict.Kind);
        Assert.InRange(verdict.Coverage, 0.69, 0.71);
        Assert.Contains("a gap never counts as idle", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_missing_minutes_leave_enough_coverage_to_call_the_window_idle()
    {
        await using var box = await Box.StartAsync(LiveH200.List);

        await box.PlayAsync(TimeSpan.FromMinutes(5), _ => LiveH200.IdleRow);
        box.Skip(TimeSpan.FromMinutes(2));
        await box.PlayAsync(TimeSpan.FromMinutes(4), _ => LiveH200.IdleRow);
        var verdict = box.Verdict(TenMinutes, jobStart: Start);

        Assert.Equal(IdleVerdictKind.Idle, verdict.Kind);
        Assert.InRange(verdict.Coverage, 0.79, 0.81);
    }

    [Fact]
    public async Task A_mig_enabled_h100_reports_no_utilisation_and_is_never_called_idle()
    {
        const string capture = "linux-x86_64__nvidia-h100-mig__590.48.01.txt";
        var row = Captures.ProjectNoUnits(Captures.QueryGpu(capture, "idle"), NvidiaSmiGpuQuery.Fields).Single();
        await using var box = await Box.StartAsync(Captures.List(capture));

        await box.PlayAsync(TimeSpan.FromMinutes(11), _ => row);
        var uuid = box.Minutes.Select(m => m.GpuUuid).Distinct().Single();
        var verdict = box.Verdict(TenMinutes, jobStart: Start, uuid);

        Assert.Contains("[N/A]", row, StringComparison.Ordinal);
        Assert.All(box.Minutes, m => Assert.Equal((0, null), (m.UtilizationSamples, m.UtilizationMax)));
        Assert.Equal(IdleVerdictKind.Unmeasurable, verdict.Kind);
        Assert.Contains("MIG", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idle_job_is_warned_then_acted_on_after_the_grace_and_a_busy_second_in_the_grace_clears_it()
    {
        await using var box = await Box.StartAsync(LiveH200.List);
        var watch = IdleWatch.New;
        var steps = new List<IdleStep>();

        // Idle from the start; one busy second in minute 13, inside the grace of the warning given after minute 10.
        // The busy second leaves the 10-minute window after minute 22, so the second warning comes after minute 23.
        for (var minute = 1; minute <= 25; minute++)
        {
            var busyAt = minute == 13 ? 30 : -1;
            await box.PlayAsync(TimeSpan.FromMinutes(1), second => second == busyAt ? LiveH200.LoadedRow : LiveH200.IdleRow);
            IdleStep step;
            (watch, step) = watch.Evaluate(box.Verdict(TenMinutes, jobStart: Start), TenMinutes, box.Now);
            steps.Add(step);
        }

        var warned = steps.IndexOf(IdleStep.Warn) + 1;
        var cleared = steps.IndexOf(IdleStep.ClearWarning) + 1;
        var warnedAgain = steps.LastIndexOf(IdleStep.Warn) + 1;
        var acted = steps.IndexOf(IdleStep.Act) + 1;
        Assert.Equal((10, 13, 23, 0), (warned, cleared, warnedAgain, acted));
        Assert.Equal(IdlePhase.Warned, watch.Phase);

        for (var minute = 0; minute < 1; minute++)
        {
            await box.PlayAsync(TimeSpan.FromMinutes(1), _ => LiveH200.IdleRow);
            IdleStep step;
            (watch, step) = watch.Evaluate(box.Verdict(TenMinutes, jobStart: Start), TenMinutes, box.Now);
            steps.Add(step);
        }

        // The grace of three minutes has passed with the window still idle.
        Assert.Equal(IdleStep.Act, steps[^1]);
        Assert.Equal(IdlePhase.Reclaimed, watch.Phase);
    }

    /// <summary>The live H200's own rows (TestData/nvidia-smi-live), idle (0 %) and under a CUDA load (95 %).</summary>
    private static class LiveH200
    {
        public const string Uuid = "GPU-f003b975-272f-9fc2-7738-45974397b6a9";
        public const string IdleRow = "0, GPU-f003b975-272f-9fc2-7738-45974397b6a9, NVIDIA H200, 00000000:00:06.0, 1, 143771, 0, 0, 46, 121.74";
        public const string LoadedRow = "0, GPU-f003b975-272f-9fc2-7738-45974397b6a9, NVIDIA H200, 00000000:00:06.0, 1, 143771, 1011, 95, 50, 293.92";
        public const string List = "GPU 0: NVIDIA H200 (UUID: GPU-f003b975-272f-9fc2-7738-45974397b6a9)\n";

        static LiveH200()
        {
            var idle = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "nvidia-smi-live", "nvidia-h200__580.159.04__idle.txt"));
            // The rows above are the recorded ones, apart from the loaded row's temperature and memory, which only say "busy".
            Assert.Contains(IdleRow, idle, StringComparison.Ordinal);
        }
    }

    /// <summary>One simulated box: the scripted nvidia-smi, the sampler, and the minute rollup fed by its snapshots.</summary>
    private sealed class Box : IAsyncDisposable
    {
        private readonly GpuMinuteRollup _rollup = new(TimeSpan.FromSeconds(1));
        private readonly List<GpuMinute> _minutes = [];
        private readonly Lock _gate = new();
        private ScriptedNvidiaSmi _smi = null!;
        private DateTimeOffset _next = Start;

        public DateTimeOffset Now => _next;

        public IReadOnlyList<GpuMinute> Minutes
        {
            get
            {
                lock (_gate)
                {
                    return [.. _minutes];
                }
            }
        }

        public static async Task<Box> StartAsync(string list)
        {
            var box = new Box();
            box._smi = await ScriptedNvidiaSmi.StartAsync(list, Start, box.OnSnapshot);
            return box;
        }

        /// <summary>One round per simulated second for <paramref name="span"/>, the row chosen per second.</summary>
        public async Task PlayAsync(TimeSpan span, Func<int, string> rowAt)
        {
            var seconds = (int)span.TotalSeconds;
            for (var s = 0; s < seconds; s++)
            {
                await _smi.RoundAsync(_next, [rowAt(s)]);
                _next += TimeSpan.FromSeconds(1);
            }
        }

        /// <summary>Time passes with no reading (nvidia-smi hung, the portal was down).</summary>
        public void Skip(TimeSpan span) => _next += span;

        /// <summary>The verdict now, after closing the minutes that have ended (the portal's timer does that).</summary>
        public IdleVerdict Verdict(IdlePolicy policy, DateTimeOffset jobStart, string uuid = LiveH200.Uuid)
        {
            lock (_gate)
            {
                _minutes.AddRange(_rollup.CloseCompleted(_next));
            }

            return IdleDetector.Evaluate(policy, [uuid], Minutes, GpuMinuteRollup.ExpectedPerMinute(TimeSpan.FromSeconds(1)), jobStart, _next);
        }

        public ValueTask DisposeAsync() => _smi.DisposeAsync();

        private void OnSnapshot(GpuSnapshot snapshot)
        {
            lock (_gate)
            {
                _minutes.AddRange(_rollup.Add(snapshot));
            }
        }
    }
}

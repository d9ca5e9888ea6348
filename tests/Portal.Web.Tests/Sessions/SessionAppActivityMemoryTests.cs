using Portal.Core.Sessions;
using Portal.Web.Services.Sessions.Activity;
using Portal.Web.Services.Sessions.Idle;

namespace Portal.Web.Tests.Sessions;

/// <summary>
/// The app signal across probes, as the reclaimer folds it in: a probe the app misses (a loaded machine) must not make a
/// session it said it used look idle since its start. Without the memory, CI saw exactly that: a Jupyter session was
/// warned (counting from the job's start), the next answered probe (Jupyter's later <c>last_activity</c>) ended the
/// warning, and the page's countdown vanished and came back.
/// </summary>
public sealed class SessionAppActivityMemoryTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 21, 9, 3, TimeSpan.Zero);
    private static readonly SessionIdlePolicy Policy = new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20), 5, TimeSpan.FromMinutes(10));

    [Fact]
    public void A_missed_probe_keeps_the_use_the_app_reported_before_and_the_session_is_not_warned_early()
    {
        var memory = new SessionAppActivityMemory();
        DateTimeOffset jupyterUp = Start.AddSeconds(10);
        Assert.Equal(jupyterUp, memory.Remember(1, new SessionAppView(true, LastActivity: jupyterUp, Kernels: 0, BusyKernels: 0), Start.AddSeconds(12)));

        // 22 s after the start Jupyter does not answer in time: its last word still stands.
        DateTimeOffset now = Start.AddSeconds(22);
        DateTimeOffset? app = memory.Remember(1, SessionAppView.Silent, now);
        Assert.Equal(jupyterUp, app);
        SessionIdleState state = SessionIdleClock.Evaluate(new SessionSignals(Start, AppLastActivity: app), Policy, now);
        Assert.Equal(SessionIdlePhase.Active, state.Phase);
        Assert.Equal(jupyterUp + Policy.Window + Policy.Grace, state.StopAt);

        // Without the memory that probe alone would have warned it (counting from the start).
        Assert.Equal(SessionIdlePhase.Warned, SessionIdleClock.Evaluate(new SessionSignals(Start), Policy, now).Phase);
    }

    [Fact]
    public void A_later_answer_moves_the_use_forward_never_back_and_an_app_that_never_answered_gives_none()
    {
        var memory = new SessionAppActivityMemory();
        Assert.Null(memory.Remember(1, SessionAppView.Silent, Start));
        Assert.Equal(Start.AddSeconds(30), memory.Remember(1, new SessionAppView(true, LastActivity: Start.AddSeconds(30)), Start.AddSeconds(31)));

        // An older figure (a restarted app's own clock, a heartbeat read late) does not undo the newer one.
        Assert.Equal(Start.AddSeconds(30), memory.Remember(1, new SessionAppView(true, LastActivity: Start.AddSeconds(5)), Start.AddSeconds(40)));

        // Another session's word is its own.
        Assert.Null(memory.Remember(2, SessionAppView.Silent, Start.AddSeconds(40)));
    }

    [Fact]
    public void A_kernel_seen_busy_counts_as_use_when_seen_so_a_missed_probe_after_it_counts_from_then()
    {
        var memory = new SessionAppActivityMemory();
        DateTimeOffset seenBusy = Start.AddMinutes(5);
        Assert.Equal(seenBusy, memory.Remember(1, new SessionAppView(true, LastActivity: Start, Kernels: 1, BusyKernels: 1), seenBusy));
        Assert.Equal(seenBusy, memory.Remember(1, SessionAppView.Silent, seenBusy.AddSeconds(15)));

        // code-server's heartbeat is its view of use.
        Assert.Equal(Start.AddSeconds(60), memory.Remember(3, new SessionAppView(true, LastHeartbeat: Start.AddSeconds(60)), Start.AddSeconds(61)));
    }

    [Fact]
    public void Until_its_app_first_answers_a_session_is_starting_and_not_idle_but_one_that_never_answers_is_reclaimed()
    {
        var memory = new SessionAppActivityMemory();
        TimeSpan allowance = TimeSpan.FromMinutes(5);

        // CI saw Jupyter answer 20 s after the job ran: counting from the start warned a session nobody could open yet,
        // and the first answer (Jupyter's own start is use) withdrew the warning. Until that answer the clock starts now.
        DateTimeOffset now = Start.AddSeconds(25);
        memory.Remember(1, SessionAppView.Silent, now);
        DateTimeOffset floor = memory.IdleFloor(1, Start, Start, allowance, now);
        Assert.Equal(now, floor);
        Assert.Equal(SessionIdlePhase.Active, SessionIdleClock.Evaluate(new SessionSignals(floor), Policy, now).Phase);

        // Once it answers, the session's start is the floor again, and the app's own word counts from there.
        DateTimeOffset answered = Start.AddSeconds(30);
        DateTimeOffset? app = memory.Remember(1, new SessionAppView(true, LastActivity: Start.AddSeconds(24), Kernels: 0, BusyKernels: 0), answered);
        Assert.Equal(Start, memory.IdleFloor(1, Start, Start, allowance, answered));
        SessionIdleState state = SessionIdleClock.Evaluate(new SessionSignals(Start, AppLastActivity: app), Policy, answered);
        Assert.Equal(SessionIdlePhase.Active, state.Phase);
        Assert.Equal(Start.AddSeconds(24) + Policy.Window, state.WarnAt);

        // An app that never answers counts from the end of the allowance: warned a window later, then stopped.
        DateTimeOffset late = Start + allowance + Policy.Window + TimeSpan.FromSeconds(1);
        memory.Remember(2, SessionAppView.Silent, late);
        DateTimeOffset hung = memory.IdleFloor(2, Start, Start, allowance, late);
        Assert.Equal(Start + allowance, hung);
        Assert.Equal(SessionIdlePhase.Warned, SessionIdleClock.Evaluate(new SessionSignals(hung), Policy, late).Phase);

        // A portal that started watching later than that counts from its own start, as before.
        DateTimeOffset watching = Start.AddMinutes(30);
        Assert.Equal(watching, memory.IdleFloor(2, watching, Start, allowance, watching.AddSeconds(1)));
    }

    [Fact]
    public void A_session_that_ended_is_forgotten()
    {
        var memory = new SessionAppActivityMemory();
        memory.Remember(1, new SessionAppView(true, LastActivity: Start), Start);
        memory.Forget(1);
        Assert.Null(memory.Remember(1, SessionAppView.Silent, Start.AddSeconds(1)));
    }
}

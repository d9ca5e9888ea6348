using Portal.Core.Bookings;
using Portal.Core.Quotas;

namespace Portal.Core.Tests.Scheduling;

public sealed class BookingRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly string[] Gpus = ["GPU-0", "GPU-1", "GPU-2", "GPU-3"];
    private static readonly EffectiveQuota Quota = new(2, 4, 10, 40, TimeSpan.FromDays(7), TimeSpan.FromDays(1), 16, 65536);
    private static readonly GpuBooking Bobs = new(7, "bob", ["GPU-0", "GPU-1"], Now.AddDays(3), Now.AddDays(3).AddHours(9), "demo");

    [Fact]
    public void A_count_gets_the_lowest_indexed_gpus_free_of_other_bookings_over_the_window()
    {
        var (gpus, refusals) = BookingRules.Check(Request(2, Now.AddDays(3).AddHours(2), Now.AddDays(3).AddHours(6)), [Bobs], Gpus, Quota, Now);

        Assert.Empty(refusals);
        Assert.Equal(["GPU-2", "GPU-3"], gpus);
    }

    [Fact]
    public void A_clash_on_a_named_gpu_is_refused_naming_the_clashing_booking()
    {
        var request = Request(0, Now.AddDays(3).AddHours(8), Now.AddDays(3).AddHours(10)) with { SpecificGpuUuids = ["GPU-1"] };

        var (gpus, refusals) = BookingRules.Check(request, [Bobs], Gpus, null, Now);

        Assert.Null(gpus);
        var refusal = Assert.Single(refusals);
        Assert.Same(Bobs, refusal.Clash);
        Assert.Equal("Clashes with booking 7 (bob, 2026-12-04 09:00-18:00 UTC) on GPU-1.", refusal.Message);
    }

    [Fact]
    public void Not_enough_gpus_free_of_bookings_is_refused_naming_a_clashing_booking()
    {
        var (gpus, refusals) = BookingRules.Check(Request(3, Now.AddDays(3), Now.AddDays(3).AddHours(1)), [Bobs], Gpus, null, Now);

        Assert.Null(gpus);
        Assert.Contains("clashes with booking 7 (bob", Assert.Single(refusals).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Back_to_back_bookings_do_not_clash()
    {
        var request = Request(0, Now.AddDays(3).AddHours(9), Now.AddDays(3).AddHours(12)) with { SpecificGpuUuids = ["GPU-0"] };

        Assert.Empty(BookingRules.Check(request, [Bobs], Gpus, Quota, Now).Refusals);
    }

    [Fact]
    public void A_user_is_held_to_their_quota_and_every_problem_is_named()
    {
        var request = Request(3, Now.AddHours(-1), Now.AddDays(1));
        var existing = Enumerable.Range(0, 3).Select(i => Bobs with { Id = i, Holder = "alice", GpuUuids = ["GPU-3"], Start = Now.AddDays(10 + i), End = Now.AddDays(10 + i).AddHours(1) }).ToList();

        var refusals = BookingRules.Check(request, existing, Gpus, Quota, Now).Refusals.Select(r => r.Message).ToList();

        Assert.Equal(
            [
                "The booking must start in the future.",
                "asks for 3 GPUs; your limit is 2.",
                "books 75 GPU-hours; your limit is 40 GPU-hours per 7 days.",
                "You have 3 bookings that have not ended; the limit is 3.",
            ],
            refusals);
    }

    [Fact]
    public void An_administrator_may_book_past_any_quota()
    {
        Assert.Empty(BookingRules.Check(Request(4, Now, Now.AddDays(2)), [], Gpus, null, Now).Refusals);
    }

    [Theory]
    [InlineData(0, 1, 0, "Book at least one GPU.")]
    [InlineData(1, 2, -1, "The booking must end after it starts.")]
    [InlineData(5, 1, 2, "asks for 5 GPUs; this machine has 4 that can be booked.")]
    public void Malformed_requests_are_refused(int count, double startHours, double endHours, string message)
    {
        var refusals = BookingRules.Check(Request(count, Now.AddHours(startHours), Now.AddHours(endHours)), [], Gpus, null, Now).Refusals;

        Assert.Contains(message, refusals.Select(r => r.Message));
    }

    [Fact]
    public void An_unknown_or_drained_gpu_cannot_be_booked()
    {
        var request = Request(0, Now.AddHours(1), Now.AddHours(2)) with { SpecificGpuUuids = ["GPU-9"] };

        Assert.Contains("GPU-9 is not a GPU that can be booked", Assert.Single(BookingRules.Check(request, [], Gpus, null, Now).Refusals).Message, StringComparison.Ordinal);
    }

    private static BookingRequest Request(int count, DateTimeOffset start, DateTimeOffset end) => new("alice", count, [], start, end, null);
}

using Portal.Launcher.Verbs;

namespace Portal.Launcher.Tests.Unit;

public sealed class SubIdsTests
{
    [Fact]
    public void FreeBlock_SkipsEveryExistingRange()
    {
        (string, long, long)[] taken = [("a", 100000, 65536), ("b", 165536, 10), ("c", 300000, 65536)];

        long start = SubIds.FindFreeBlock(100000, 65536, taken);

        // a ends at 165536, b at 165546: the next aligned block is base + 2 blocks, which ends before c.
        Assert.Equal(231072, start);
        Assert.DoesNotContain(taken, t => t.Item2 < start + 65536 && start < t.Item2 + t.Item3);
    }

    [Fact]
    public void ManyAllocations_NeverOverlap()
    {
        var taken = new List<(string, long, long)> { ("odd", 150000, 1000), ("x", 500000, 70000) };
        for (int i = 0; i < 200; i++)
        {
            long start = SubIds.FindFreeBlock(100000, 65536, taken);
            Assert.DoesNotContain(taken, t => t.Item2 < start + 65536 && start < t.Item2 + t.Item3);
            taken.Add(("u" + i, start, 65536));
        }
    }
}

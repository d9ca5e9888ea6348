using Portal.Launcher.Native;
using Portal.Launcher.Policy;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Tests.Unit;

/// <summary>Answers the user database can give (NSS back ends) that files-based test users cannot produce.</summary>
public sealed class UserResolverTests
{
    private const uint GroupId = 5000;

    /// <summary>Each privileged group's id in this fake group database: 6000, 6001, ... in the built-in list's order.</summary>
    private static readonly Dictionary<string, uint> PrivilegedIds = LauncherPolicy.BuiltInPrivilegedGroups
        .Append("gpu-admins").Select((g, i) => (g, (uint)(6000 + i))).ToDictionary(p => p.g, p => p.Item2);

    private static UserAccount Account(string name, uint uid = 1500, uint gid = 1500, string? home = null, params uint[] groups) =>
        new(name, uid, gid, home ?? "/home/" + name, groups.Length == 0 ? [gid, GroupId] : groups);

    private static uint? FindGroupId(string group) =>
        group == RequestValidatorTests.Policy.Group ? GroupId : PrivilegedIds.TryGetValue(group, out uint id) ? id : null;

    private static UserAccount Resolve(string name, UserAccount? answer, uint? caller = null, LauncherPolicy? policy = null) =>
        UserResolver.Resolve(name, policy ?? RequestValidatorTests.Policy, caller, _ => answer, FindGroupId);

    public static TheoryData<string> BuiltInPrivilegedGroups => [.. LauncherPolicy.BuiltInPrivilegedGroups];

    [Theory]
    [MemberData(nameof(BuiltInPrivilegedGroups))]
    public void AMemberOfABuiltInPrivilegedGroup_IsRefused(string group)
    {
        var e = Assert.Throws<RequestRefusedException>(() => Resolve("alice", Account("alice", groups: [1500, GroupId, PrivilegedIds[group]])));

        Assert.Contains($"privileged group '{group}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BuiltInPrivilegedGroups))]
    public void InDevMode_TheCallerInAPrivilegedGroup_IsServedAsItself_ButNeverAnotherMember(string group)
    {
        UserAccount alice = Account("alice", groups: [1500, GroupId, PrivilegedIds[group]]);

        Assert.Equal(1500u, Resolve("alice", alice, caller: 1500).Uid);
        var e = Assert.Throws<RequestRefusedException>(() => Resolve("alice", alice, caller: 1600));
        Assert.Contains("acts only as its caller", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMemberOfAGroupThePolicyNamesPrivileged_IsRefused()
    {
        LauncherPolicy policy = RequestValidatorTests.Policy with { PrivilegedGroups = ["gpu-admins"] };

        var e = Assert.Throws<RequestRefusedException>(() => Resolve("alice", Account("alice", groups: [1500, GroupId, PrivilegedIds["gpu-admins"]]), policy: policy));

        Assert.Contains("'gpu-admins'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APrivilegedGroupTheHostLacks_RefusesNobody() =>
        Assert.Equal(1500u, UserResolver.Resolve("alice", RequestValidatorTests.Policy, null, _ => Account("alice"), g => g == RequestValidatorTests.Policy.Group ? GroupId : null).Uid);

    [Theory]
    [InlineData("/")]
    [InlineData("/home")]
    [InlineData("/home/")]
    [InlineData("/opt/alice")]
    [InlineData("/homework/alice")]
    [InlineData("/home/../etc")]
    [InlineData("/var/lib/portal")]
    public void AHomeOutsideTheHomeRoots_IsRefused(string home) =>
        Assert.Throws<RequestRefusedException>(() => Resolve("alice", Account("alice", home: home)));

    [Fact]
    public void AHomeUnderAnotherRootThePolicyNames_IsAccepted()
    {
        LauncherPolicy policy = RequestValidatorTests.Policy with { HomeRoots = ["/home", "/nfs/home"] };

        Assert.Equal(1500u, Resolve("alice", Account("alice", home: "/nfs/home/alice"), policy: policy).Uid);
    }

    [Fact]
    public void AnExactMatch_InTheGroup_AboveTheMinimum_IsAccepted() =>
        Assert.Equal(1500u, Resolve("alice", Account("alice")).Uid);

    [Theory]
    [InlineData("Alice")]
    [InlineData("alice2")]
    [InlineData("root")]
    [InlineData("alice ")]
    public void AnAccountWhoseNameDiffersFromTheRequest_IsRefused(string returned) =>
        Assert.Throws<RequestRefusedException>(() => Resolve("alice", Account(returned)));

    [Fact]
    public void AnUnknownUser_IsRefused() => Assert.Throws<RequestRefusedException>(() => Resolve("alice", null));

    [Fact]
    public void Uid0UnderAnotherName_IsRefused() => Assert.Throws<RequestRefusedException>(() => Resolve("toor", Account("toor", uid: 0)));

    [Fact]
    public void Gid0_IsRefused() => Assert.Throws<RequestRefusedException>(() => Resolve("alice", Account("alice", gid: 0, groups: [0, GroupId])));

    [Fact]
    public void MembershipOfGroup0_IsRefused() => Assert.Throws<RequestRefusedException>(() => Resolve("alice", Account("alice", groups: [1500, GroupId, 0])));

    [Fact]
    public void AUidBelowTheMinimum_IsRefused() => Assert.Throws<RequestRefusedException>(() => Resolve("alice", Account("alice", uid: 999)));

    [Fact]
    public void AUserOutsideTheGroup_IsRefused() => Assert.Throws<RequestRefusedException>(() => Resolve("alice", Account("alice", groups: [1500])));

    [Fact]
    public void InDevMode_AnotherUser_IsRefused() => Assert.Throws<RequestRefusedException>(() => Resolve("alice", Account("alice"), caller: 1600));

    [Fact]
    public void InDevMode_TheCaller_IsAccepted() => Assert.Equal(1500u, Resolve("alice", Account("alice"), caller: 1500).Uid);
}

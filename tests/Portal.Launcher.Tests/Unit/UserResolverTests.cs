using Portal.Launcher.Native;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Tests.Unit;

/// <summary>Answers the user database can give (NSS back ends) that files-based test users cannot produce.</summary>
public sealed class UserResolverTests
{
    private const uint GroupId = 5000;

    private static UserAccount Account(string name, uint uid = 1500, uint gid = 1500, params uint[] groups) =>
        new(name, uid, gid, "/home/" + name, groups.Length == 0 ? [gid, GroupId] : groups);

    private static UserAccount Resolve(string name, UserAccount? answer, uint? caller = null) =>
        UserResolver.Resolve(name, RequestValidatorTests.Policy, caller, _ => answer, _ => GroupId);

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

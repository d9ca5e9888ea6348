namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>A throwaway Linux account created by the fixture.</summary>
public sealed record TestUser(string Name, uint Uid, uint Gid, string Home);

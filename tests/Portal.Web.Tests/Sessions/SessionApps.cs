namespace Portal.Web.Tests.Sessions;

/// <summary>
/// Two echo apps for the proxy tests: the session owner's (uid <see cref="OwnerUid"/>) and a stranger's (uid
/// <see cref="StrangerUid"/>), each on a socket in a folder of its own.
/// </summary>
public sealed class SessionApps : IAsyncLifetime
{
    public const uint OwnerUid = 61_001;
    public const uint StrangerUid = 61_002;

    public SessionTestFolder Folder { get; } = new();

    public EchoAppProcess Owner { get; private set; } = null!;

    public EchoAppProcess Stranger { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Task<EchoAppProcess> owner = EchoAppProcess.StartAsync(Folder, OwnerUid, "owner");
        Task<EchoAppProcess> stranger = EchoAppProcess.StartAsync(Folder, StrangerUid, "stranger");
        Owner = await owner;
        Stranger = await stranger;
    }

    public async Task DisposeAsync()
    {
        if (Owner is not null)
        {
            await Owner.DisposeAsync();
        }

        if (Stranger is not null)
        {
            await Stranger.DisposeAsync();
        }

        Folder.Dispose();
    }
}

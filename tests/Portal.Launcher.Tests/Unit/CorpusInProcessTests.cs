using System.Text.Json;
using Portal.Launcher.Native;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;
using Portal.Launcher.Validation;
using Portal.Tests.Corpus;

namespace Portal.Launcher.Tests.Unit;

/// <summary>
/// The corpus cases the portal refuses at submit are refused by the launcher on the request's shape alone: the
/// protocol's serializer, <see cref="RequestValidator"/> and, for a mount outside every root, the policy's roots.
/// No file system, user database or podman is involved, so this runs without root; BadInputCorpusTests runs the
/// whole corpus through the real binary.
/// </summary>
public sealed class CorpusInProcessTests
{
    private static readonly CorpusPlaces Places = new("alice", "/home/alice", "bob", "/home/bob", LauncherFixture.ProjectsRoot + "/alice");

    private static readonly UserAccount Alice = new("alice", 1500, 1500, "/home/alice", [1500, 5000]);

    private static readonly LauncherPolicy Policy = RequestValidatorTests.Policy with
    {
        MountRoots =
        [
            new PolicyMountRoot { UserHome = true },
            new PolicyMountRoot { Path = LauncherFixture.ProjectsRoot },
            new PolicyMountRoot { Path = LauncherFixture.DatasetsRoot, ReadOnly = true },
        ],
    };

    public static TheoryData<string> PortalCases() => new(LauncherCorpus.Cases.Values.Where(c => c.PortalField is not null).Select(c => c.Name));

    [Theory]
    [MemberData(nameof(PortalCases))]
    public void A_case_the_portal_refuses_at_submit_is_a_rule_of_shape_the_launcher_refuses_too(string name)
    {
        string text = LauncherCorpus.Case(name).RequestText(Places);

        string refusal = Refusal(text) ?? "";

        Assert.True(refusal.Length > 0, $"{name}: accepted");
    }

    /// <summary>The launcher's sentence for <paramref name="text"/>, or null when its shape passes.</summary>
    private static string? Refusal(string text)
    {
        if (text.Length + 1 > LauncherProtocol.MaxRequestBytes)
        {
            return "too large";
        }

        LauncherRequest request;
        try
        {
            request = JsonSerializer.Deserialize(text, LauncherJsonContext.Default.LauncherRequest)!;
        }
        catch (JsonException e)
        {
            return e.Message;
        }

        try
        {
            RequestValidator.Validate(request, Policy);
        }
        catch (RequestRefusedException e)
        {
            return e.Message;
        }

        try
        {
            _ = MountChecker.Check(request.Run?.Mounts, Policy, Alice);
        }
        catch (RequestRefusedException e) when (e.Message.Contains("outside the allowed mount roots", StringComparison.Ordinal))
        {
            return e.Message;
        }
        catch (RequestRefusedException)
        {
            // Refused for what the file system holds here, which says nothing about the shape.
        }

        return null;
    }
}

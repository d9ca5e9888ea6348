using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;

namespace Portal.Launcher.Tests.Unit;

/// <summary>
/// The launcher reads errno one way: the value the runtime captured after an import declared with SetLastError.
/// A call bound to an import that does not capture it reads a stale errno. That happened with Tmds.LibC's poll,
/// which an unqualified <c>poll(...)</c> bound to ahead of our own: poll returns EINTR whenever the runtime signals
/// the thread, and the stale errno (0) turned that into "poll failed", a failed run, on CI.
/// </summary>
public sealed class ErrnoCaptureTests
{
    [Fact]
    public void EveryTmdsLibCFunctionTheLauncherCalls_CapturesErrno()
    {
        Assembly launcher = typeof(Portal.Launcher.Podman.ToolResult).Assembly;
        using var stream = File.OpenRead(launcher.Location);
        using var pe = new PEReader(stream);
        MetadataReader md = pe.GetMetadataReader();

        var called = new List<MethodBase>();
        foreach (MemberReferenceHandle handle in md.MemberReferences)
        {
            MemberReference member = md.GetMemberReference(handle);
            if (member.GetKind() != MemberReferenceKind.Method || member.Parent.Kind != HandleKind.TypeReference)
            {
                continue;
            }

            TypeReference parent = md.GetTypeReference((TypeReferenceHandle)member.Parent);
            if (md.GetString(parent.Namespace) == "Tmds.Linux" && md.GetString(parent.Name) == "LibC")
            {
                called.Add(launcher.ManifestModule.ResolveMethod(MetadataTokens.GetToken(handle))!);
            }
        }

        Assert.Contains(called, m => m.Name == "read");
        string[] notCapturing = called
            .Where(m => (m.Attributes & MethodAttributes.PinvokeImpl) != 0 && m.GetCustomAttribute<DllImportAttribute>() is { SetLastError: false })
            .Select(m => m.ToString()!)
            .ToArray();
        Assert.True(notCapturing.Length == 0, "Declare these in Native/Glibc with SetLastError and call them as Glibc.name: " + string.Join(", ", notCapturing));
    }
}

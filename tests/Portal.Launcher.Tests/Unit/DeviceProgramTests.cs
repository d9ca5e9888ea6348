using Portal.Launcher.Cgroups;

namespace Portal.Launcher.Tests.Unit;

/// <summary>
/// The BPF device program, run by a small interpreter of the few instructions it uses (the kernel runs it for real in
/// the device control integration tests).
/// </summary>
public sealed class DeviceProgramTests
{
    private const int Read = DeviceProgram.AccessRead;
    private const int Write = DeviceProgram.AccessWrite;
    private const int Mknod = DeviceProgram.AccessMknod;

    private static readonly List<DeviceRule> JobWithGpu1 = [.. DeviceRule.Standard, DeviceRule.Char(195, 1), DeviceRule.Char(195, 255)];

    [Theory]
    [InlineData(1, 3)]     // /dev/null
    [InlineData(1, 9)]     // /dev/urandom
    [InlineData(136, 7)]   // a pseudo-terminal
    [InlineData(195, 1)]   // the allocated GPU
    [InlineData(195, 255)] // nvidiactl
    public void TheStandardDevicesAndTheAllocatedGpu_AreAllowedForReadAndWrite(uint major, uint minor) =>
        Assert.Equal(1, Run(JobWithGpu1, DeviceProgram.DevChar, Read | Write, major, minor));

    [Theory]
    [InlineData(195, 0)]   // another job's GPU
    [InlineData(195, 2)]
    [InlineData(10, 229)]  // /dev/fuse
    [InlineData(1, 1)]     // /dev/mem
    [InlineData(4, 1)]     // a virtual console
    public void AnyOtherCharacterDevice_IsDenied(uint major, uint minor) =>
        Assert.Equal(0, Run(JobWithGpu1, DeviceProgram.DevChar, Read, major, minor));

    [Fact]
    public void ABlockDeviceWithTheNumbersOfAnAllowedCharacterDevice_IsDenied() =>
        Assert.Equal(0, Run(JobWithGpu1, DeviceProgram.DevBlock, Read, 1, 3));

    [Fact]
    public void Mknod_IsDenied_EvenForAnAllowedDevice() =>
        Assert.Equal(0, Run(JobWithGpu1, DeviceProgram.DevChar, Mknod, 195, 1));

    [Fact]
    public void ARuleWithAllAccesses_AllowsMknod() =>
        Assert.Equal(1, Run([new DeviceRule('c', 5, null, Mknod: true)], DeviceProgram.DevChar, Read | Write | Mknod, 5, 42));

    [Fact]
    public void NoRules_DenyEverything() =>
        Assert.Equal(0, Run([], DeviceProgram.DevChar, Read, 1, 3));

    [Fact]
    public void TheV1Lines_SayTheSame() =>
        Assert.Equal(["c 1:3 rw", "c 136:* rw", "c 195:1 rw"], new[] { DeviceRule.Char(1, 3), DeviceRule.Char(136, null), DeviceRule.Char(195, 1) }.Select(r => r.ToV1()));

    /// <summary>Executes the program for one access: r1 points at the context {access_type, major, minor}.</summary>
    private static long Run(IReadOnlyList<DeviceRule> rules, int type, int access, uint major, uint minor)
    {
        byte[] program = DeviceProgram.Build(rules);
        uint[] context = [(uint)((access << 16) | type), major, minor];
        ulong[] r = new ulong[11];
        int pc = 0;
        for (int steps = 0; steps < 10_000; steps++)
        {
            int at = pc * DeviceProgram.InstructionSize;
            byte code = program[at];
            int dst = program[at + 1] & 0xf;
            int src = program[at + 1] >> 4;
            short offset = BitConverter.ToInt16(program, at + 2);
            int immediate = BitConverter.ToInt32(program, at + 4);
            pc++;
            switch (code)
            {
                case DeviceProgram.LdxMemW:
                    Assert.Equal(1, src);
                    r[dst] = context[offset / 4];
                    break;
                case DeviceProgram.And32Imm: r[dst] = (uint)(r[dst] & (uint)immediate); break;
                case DeviceProgram.Rsh32Imm: r[dst] = (uint)r[dst] >> immediate; break;
                case DeviceProgram.Mov32Reg: r[dst] = (uint)r[src]; break;
                case DeviceProgram.Mov32Imm: r[dst] = (uint)immediate; break;
                case DeviceProgram.JneImm: pc += r[dst] != (ulong)(long)immediate ? offset : 0; break;
                case DeviceProgram.JneReg: pc += r[dst] != r[src] ? offset : 0; break;
                case DeviceProgram.Exit: return (long)r[0];
                default: throw new InvalidOperationException($"Unexpected opcode 0x{code:x2}.");
            }
        }

        throw new InvalidOperationException("The program did not exit.");
    }
}

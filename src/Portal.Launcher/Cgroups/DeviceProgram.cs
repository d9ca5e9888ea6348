namespace Portal.Launcher.Cgroups;

/// <summary>
/// Builds the BPF_PROG_TYPE_CGROUP_DEVICE program for cgroup v2 from a list of <see cref="DeviceRule"/>s: allow what
/// a rule matches, deny everything else. The instruction pattern is runc's (libcontainer/cgroups/devices): load the
/// device type, the access, major and minor from the context, then one block per rule that jumps to the next rule
/// on any mismatch and returns 1 (allow) at its end; the program ends by returning 0 (deny).
/// </summary>
/// <remarks>Pure: no I/O, so the bytes are unit-tested (and run by an interpreter in the tests).</remarks>
internal static class DeviceProgram
{
    public const int InstructionSize = 8;

    // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }: access_type = access << 16 | type.
    public const int DevBlock = 1;     // BPF_DEVCG_DEV_BLOCK
    public const int DevChar = 2;      // BPF_DEVCG_DEV_CHAR
    public const int AccessMknod = 1;  // BPF_DEVCG_ACC_MKNOD
    public const int AccessRead = 2;   // BPF_DEVCG_ACC_READ
    public const int AccessWrite = 4;  // BPF_DEVCG_ACC_WRITE

    // Opcodes (linux/bpf_common.h, linux/bpf.h).
    public const byte LdxMemW = 0x61;  // BPF_LDX | BPF_MEM | BPF_W
    public const byte And32Imm = 0x54; // BPF_ALU | BPF_AND | BPF_K
    public const byte Rsh32Imm = 0x74; // BPF_ALU | BPF_RSH | BPF_K
    public const byte Mov32Reg = 0xbc; // BPF_ALU | BPF_MOV | BPF_X
    public const byte Mov32Imm = 0xb4; // BPF_ALU | BPF_MOV | BPF_K
    public const byte JneImm = 0x55;   // BPF_JMP | BPF_JNE | BPF_K
    public const byte JneReg = 0x5d;   // BPF_JMP | BPF_JNE | BPF_X
    public const byte Exit = 0x95;     // BPF_JMP | BPF_EXIT

    /// <summary>The program as the kernel takes it: <see cref="InstructionSize"/> bytes per instruction, little-endian.</summary>
    public static byte[] Build(IReadOnlyList<DeviceRule> rules)
    {
        var program = new List<byte>();

        // r2 = type, r3 = access, r4 = major, r5 = minor (r1 holds the context until then).
        Emit(program, LdxMemW, 2, 1, 0, 0);
        Emit(program, And32Imm, 2, 0, 0, 0xFFFF);
        Emit(program, LdxMemW, 3, 1, 0, 0);
        Emit(program, Rsh32Imm, 3, 0, 0, 16);
        Emit(program, LdxMemW, 4, 1, 4, 0);
        Emit(program, LdxMemW, 5, 1, 8, 0);

        foreach (DeviceRule rule in rules)
        {
            // (code, dst, src, immediate, jumps to the next rule on a mismatch)
            var block = new List<(byte Code, int Dst, int Src, int Immediate, bool ToNextRule)>
            {
                (JneImm, 2, 0, rule.Type == 'b' ? DevBlock : DevChar, true),
            };
            int access = (rule.Read ? AccessRead : 0) | (rule.Write ? AccessWrite : 0) | (rule.Mknod ? AccessMknod : 0);
            if (access != (AccessRead | AccessWrite | AccessMknod))
            {
                // The access asked for must lie within the rule's: (asked & allowed) == asked.
                block.Add((Mov32Reg, 1, 3, 0, false));
                block.Add((And32Imm, 1, 0, access, false));
                block.Add((JneReg, 1, 3, 0, true));
            }

            if (rule.Major is { } major)
            {
                block.Add((JneImm, 4, 0, unchecked((int)major), true));
            }

            if (rule.Minor is { } minor)
            {
                block.Add((JneImm, 5, 0, unchecked((int)minor), true));
            }

            block.Add((Mov32Imm, 0, 0, 1, false));
            block.Add((Exit, 0, 0, 0, false));
            for (int i = 0; i < block.Count; i++)
            {
                // A jump's offset counts from the instruction after it; this one lands just past the block.
                short offset = block[i].ToNextRule ? (short)(block.Count - i - 1) : (short)0;
                Emit(program, block[i].Code, block[i].Dst, block[i].Src, offset, block[i].Immediate);
            }
        }

        Emit(program, Mov32Imm, 0, 0, 0, 0);
        Emit(program, Exit, 0, 0, 0, 0);
        return [.. program];
    }

    private static void Emit(List<byte> program, byte code, int dst, int src, short offset, int immediate)
    {
        program.Add(code);
        program.Add((byte)((src << 4) | dst));
        program.Add((byte)offset);
        program.Add((byte)(offset >> 8));
        program.Add((byte)immediate);
        program.Add((byte)(immediate >> 8));
        program.Add((byte)(immediate >> 16));
        program.Add((byte)(immediate >> 24));
    }
}

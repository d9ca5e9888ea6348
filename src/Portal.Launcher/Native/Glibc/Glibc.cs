namespace Portal.Launcher.Native;

/// <summary>
/// The C functions the launcher calls that Tmds.LibC (<c>Tmds.Linux.LibC</c>) does not declare, in Tmds.LibC's style:
/// C names and C types, one file per header (spawn.cs, wait.cs, poll.cs, pwd.cs, close_range.cs), nothing but
/// declarations. Whatever Tmds.LibC has (open, read, pipe2, kill, sigset_t, sigemptyset, syscall, ...) comes from
/// Tmds.LibC, never from here.
/// </summary>
/// <remarks>
/// errno is read one way everywhere: Tmds.LibC's <c>errno</c>, the value the runtime captured after the last import
/// declared with <c>SetLastError = true</c>. Every import here that reports failure through errno declares it; those
/// that return the error number instead (posix_spawn, getpwnam_r) need not. poll is here although Tmds.LibC 0.5.0
/// has it: its declaration does not capture errno, so errno after a failed poll would be stale.
/// </remarks>
internal static partial class Glibc;

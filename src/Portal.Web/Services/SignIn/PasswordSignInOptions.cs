namespace Portal.Web.Services.SignIn;

/// <summary>How people sign in and how sign-in resists guessing (section "Portal:SignIn").</summary>
public sealed class PasswordSignInOptions
{
    public const string SectionName = "Portal:SignIn";

    /// <summary>
    /// Members of the launcher policy's group sign in with their Linux user name and password (PAM in the launcher);
    /// the first sign-in creates their portal account. Needs the launcher installed with its sudo rule.
    /// </summary>
    public bool LinuxPasswords { get; set; } = true;

    /// <summary>Failed attempts from one address for one account before that pair is locked for <see cref="LockoutTime"/>.</summary>
    public int MaxFailuresPerAccountAndAddress { get; set; } = 5;

    /// <summary>Failed attempts from one address, over all accounts, within <see cref="FailureWindow"/> before the address waits.</summary>
    public int MaxFailuresPerAddress { get; set; } = 20;

    /// <summary>How long failures are counted for.</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a locked pair or address waits.</summary>
    public TimeSpan LockoutTime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Linux password checks running at once (each is a root launcher and a password hash); more wait.</summary>
    public int MaxConcurrentLinuxChecks { get; set; } = 4;

    /// <summary>
    /// Every failed sign-in is answered no sooner than this after it began, whichever way it failed (no such name, a
    /// portal password, a Linux password): the answer's timing tells nothing about which accounts exist.
    /// </summary>
    public TimeSpan RefusalFloor { get; set; } = TimeSpan.FromSeconds(1.25);
}

namespace Portal.Launcher.Client;

/// <summary>The portal's view of the privileged launcher (see DESIGN.md, "Processes and trust").</summary>
public interface ILauncher;

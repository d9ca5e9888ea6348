namespace Portal.Launcher.Validation;

/// <summary>The request is not allowed; the message is shown to the portal's user and audited.</summary>
internal sealed class RequestRefusedException(string message) : Exception(message);

namespace Portal.Data.Database;

/// <summary>The private PostgreSQL cluster could not be created or started; the message says why.</summary>
public sealed class PrivateClusterException : Exception
{
    public PrivateClusterException(string message)
        : base(message)
    {
    }

    public PrivateClusterException()
    {
    }

    public PrivateClusterException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

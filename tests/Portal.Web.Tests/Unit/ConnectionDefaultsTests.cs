using Npgsql;
using Portal.Web.Services.Database;

namespace Portal.Web.Tests.Unit;

public sealed class ConnectionDefaultsTests
{
    [Fact]
    public void The_runtime_connection_is_multiplexed_kept_prepared_and_not_reset_by_default()
    {
        var built = new NpgsqlConnectionStringBuilder(PortalDbContextFactory.WithServerDefaults("Host=/run/pg;Username=portal;Database=portal"));

        Assert.True(built.Multiplexing);
        Assert.True(built.NoResetOnClose);
        Assert.Equal(64, built.MaxAutoPrepare);
    }

    [Fact]
    public void Settings_written_in_the_connection_string_are_kept()
    {
        var built = new NpgsqlConnectionStringBuilder(PortalDbContextFactory.WithServerDefaults("Host=db;Multiplexing=false;Max Auto Prepare=200"));

        Assert.False(built.Multiplexing);
        Assert.Equal(200, built.MaxAutoPrepare);
    }
}

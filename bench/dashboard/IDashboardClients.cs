namespace Portal.Bench.Dashboard;

/// <summary>N open dashboards, i.e. N Blazor circuits, however they are driven.</summary>
internal interface IDashboardClients : IAsyncDisposable
{
    /// <summary>Opens <paramref name="count"/> dashboards; those that fail to open are left out and reported.</summary>
    Task OpenAsync(int count);

    /// <summary>How many open dashboards receive the 1 Hz updates now.</summary>
    Task<int> CountLiveAsync();
}

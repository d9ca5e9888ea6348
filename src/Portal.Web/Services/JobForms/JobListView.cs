using System.Globalization;
using Portal.Core.Jobs;
using Portal.Data.Jobs;

namespace Portal.Web.Services.JobForms;

/// <summary>
/// What the job list shows, as its address says it (<c>/jobs?state=Failed&amp;q=train&amp;sort=elapsed&amp;dir=asc&amp;skip=50</c>):
/// unknown words fall back to the defaults (all states, newest first), so a hand-edited address never fails.
/// </summary>
public sealed record JobListView(string? State, string? Search, string? Sort, string? Direction, int Skip)
{
    public const int PageSize = 50;

    public JobState? StateFilter => Enum.TryParse(State, ignoreCase: true, out JobState s) ? s : null;

    public JobSort SortColumn => Enum.TryParse(Sort, ignoreCase: true, out JobSort s) && Enum.IsDefined(s) ? s : JobSort.Id;

    public bool Ascending => string.Equals(Direction, "asc", StringComparison.OrdinalIgnoreCase);

    public string? SearchText => Search?.Trim() is { Length: > 0 } text ? text[..Math.Min(text.Length, JobListQuery.MaxSearchLength)] : null;

    public JobListQuery Query(Guid ownerId) =>
        new(OwnerId: ownerId, States: StateFilter is { } s ? [s] : null, Skip: Math.Max(0, Skip), Take: PageSize,
            Search: SearchText, Sort: SortColumn, Ascending: Ascending);

    /// <summary>The address of this view at another offset.</summary>
    public string PageLink(int skip) => Link(SortColumn, Ascending, skip);

    /// <summary>The address that sorts by <paramref name="column"/>: the other way round when it is the current column.</summary>
    public string SortLink(JobSort column) =>
        Link(column, column == SortColumn ? !Ascending : column is JobSort.Name or JobSort.State, 0);

    /// <summary>aria-sort for a column header.</summary>
    public string AriaSort(JobSort column) => column != SortColumn ? "none" : Ascending ? "ascending" : "descending";

    private string Link(JobSort sort, bool ascending, int skip)
    {
        var parts = new List<string>();
        if (StateFilter is { } state)
        {
            parts.Add("state=" + state);
        }

        if (SearchText is { } text)
        {
            parts.Add("q=" + Uri.EscapeDataString(text));
        }

        if (sort != JobSort.Id || ascending)
        {
            parts.Add("sort=" + sort.ToString().ToLowerInvariant());
            parts.Add("dir=" + (ascending ? "asc" : "desc"));
        }

        if (skip > 0)
        {
            parts.Add("skip=" + skip.ToString(CultureInfo.InvariantCulture));
        }

        return parts.Count == 0 ? "/jobs" : "/jobs?" + string.Join("&", parts);
    }
}

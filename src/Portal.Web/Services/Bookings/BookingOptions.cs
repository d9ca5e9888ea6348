using Microsoft.Extensions.Options;

namespace Portal.Web.Services.Bookings;

/// <summary>GPU bookings (section "Portal:Bookings").</summary>
public sealed class BookingOptions
{
    public const string SectionName = "Portal:Bookings";

    /// <summary>How long before a booking opens its holder is told (a <c>BookingStarting</c> notification); zero
    /// turns the notice off. A booking made closer to its start than this is told at once.</summary>
    public TimeSpan StartingNoticeBefore { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often the portal looks for bookings to tell about.</summary>
    public TimeSpan StartingCheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Lists every problem in the "Portal:Bookings" section at once, at start.</summary>
internal sealed class BookingOptionsValidator : IValidateOptions<BookingOptions>
{
    public ValidateOptionsResult Validate(string? name, BookingOptions options)
    {
        var failures = new List<string>();
        const string S = BookingOptions.SectionName;
        if (options.StartingNoticeBefore < TimeSpan.Zero || options.StartingNoticeBefore > TimeSpan.FromDays(7))
        {
            failures.Add($"{S}:StartingNoticeBefore is {options.StartingNoticeBefore}; it must be between 00:00:00 (off) and 7.00:00:00.");
        }

        if (options.StartingCheckInterval < TimeSpan.FromSeconds(1) || options.StartingCheckInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"{S}:StartingCheckInterval is {options.StartingCheckInterval}; it must be between 00:00:01 and 01:00:00.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

using Microsoft.Extensions.Options;

namespace Portal.Web.Services.SignIn;

internal static class SignInRegistration
{
    public static IServiceCollection AddSignIn(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PasswordSignInOptions>().Bind(configuration.GetSection(PasswordSignInOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PasswordSignInOptions>, SignInOptionsValidator>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<LinuxCheckGate>();
        return services;
    }
}

/// <summary>Lists every problem in "Portal:SignIn" at once, at start.</summary>
internal sealed class SignInOptionsValidator : IValidateOptions<PasswordSignInOptions>
{
    public ValidateOptionsResult Validate(string? name, PasswordSignInOptions o)
    {
        List<string> failures = [];
        if (o.MaxFailuresPerAccountAndAddress < 1 || o.MaxFailuresPerAddress < o.MaxFailuresPerAccountAndAddress)
        {
            failures.Add($"{PasswordSignInOptions.SectionName}: need 1 <= MaxFailuresPerAccountAndAddress <= MaxFailuresPerAddress.");
        }

        if (o.FailureWindow <= TimeSpan.Zero || o.LockoutTime <= TimeSpan.Zero)
        {
            failures.Add($"{PasswordSignInOptions.SectionName}: FailureWindow and LockoutTime must be positive.");
        }

        if (o.MaxConcurrentLinuxChecks is < 1 or > 64)
        {
            failures.Add($"{PasswordSignInOptions.SectionName}:MaxConcurrentLinuxChecks must be between 1 and 64.");
        }

        if (o.RefusalFloor < TimeSpan.Zero || o.RefusalFloor > TimeSpan.FromSeconds(10))
        {
            failures.Add($"{PasswordSignInOptions.SectionName}:RefusalFloor must be between 0 and 10 seconds.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

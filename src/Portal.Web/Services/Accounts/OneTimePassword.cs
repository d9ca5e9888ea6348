using System.Security.Cryptography;

namespace Portal.Web.Services.Accounts;

/// <summary>Generates passwords that are shown once and must be changed at the next sign-in.</summary>
public static class OneTimePassword
{
    // No look-alike characters: people type these from a terminal or a message.
    private const string Alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    public static string Generate(int length = 20)
    {
        // The password rules ask for a digit and both cases; about one draw in twenty lacks one, so draw again.
        while (true)
        {
            string candidate = RandomNumberGenerator.GetString(Alphabet, length);
            if (candidate.Any(char.IsAsciiDigit) && candidate.Any(char.IsAsciiLetterUpper) && candidate.Any(char.IsAsciiLetterLower))
            {
                return candidate;
            }
        }
    }
}

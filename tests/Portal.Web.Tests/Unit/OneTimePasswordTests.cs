using Portal.Web.Services.Accounts;

namespace Portal.Web.Tests.Unit;

public sealed class OneTimePasswordTests
{
    [Fact]
    public void Every_generated_password_satisfies_the_password_rules()
    {
        for (int i = 0; i < 2000; i++)
        {
            string password = OneTimePassword.Generate();
            Assert.Equal(20, password.Length);
            Assert.Contains(password, char.IsAsciiDigit);
            Assert.Contains(password, char.IsAsciiLetterUpper);
            Assert.Contains(password, char.IsAsciiLetterLower);
        }
    }
}

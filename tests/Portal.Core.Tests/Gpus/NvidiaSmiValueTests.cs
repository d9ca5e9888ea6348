using Portal.Core.Gpus;

namespace Portal.Core.Tests.Gpus;

public sealed class NvidiaSmiValueTests
{
    [Theory]
    [InlineData("[N/A]")]
    [InlineData("[Not Supported]")]
    [InlineData("[Unknown Error]")]
    [InlineData("N/A")]
    [InlineData("")]
    public void Unavailable_values_become_null(string raw)
    {
        Assert.Null(NvidiaSmiValue.ParseDouble(raw));
        Assert.Null(NvidiaSmiValue.ParseInt64(raw));
        Assert.Null(NvidiaSmiValue.ParseText(raw));
    }

    [Theory]
    [InlineData("8192 MiB", 8192)]
    [InlineData("8192", 8192)]
    [InlineData(" 0 %", 0)]
    [InlineData("100", 100)]
    public void Whole_numbers_parse_with_or_without_units(string raw, long expected) =>
        Assert.Equal(expected, NvidiaSmiValue.ParseInt64(raw));

    [Theory]
    [InlineData("111.50 W", 111.5)]
    [InlineData("39.32", 39.32)]
    [InlineData("8 %", 8)]
    public void Decimals_parse_with_a_dot_whatever_the_unit(string raw, double expected) =>
        Assert.Equal(expected, NvidiaSmiValue.ParseDouble(raw));

    [Fact]
    public void Garbage_is_a_format_error_not_a_zero() =>
        Assert.Throws<FormatException>(() => NvidiaSmiValue.ParseDouble("lots W"));

    [Fact]
    public void A_row_with_the_wrong_number_of_fields_is_refused() =>
        Assert.Throws<FormatException>(() => NvidiaSmiGpuQuery.ParseLine("0, GPU-1, name", DateTimeOffset.UnixEpoch));
}

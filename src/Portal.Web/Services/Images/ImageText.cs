using System.Globalization;

namespace Portal.Web.Services.Images;

/// <summary>Image sizes as people read them.</summary>
public static class ImageText
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    /// <summary>Bytes in binary units with one decimal from KiB on: 1.4 MiB, 2.0 GiB.</summary>
    public static string Size(long bytes)
    {
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? bytes.ToString(CultureInfo.InvariantCulture) + " B"
            : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }
}

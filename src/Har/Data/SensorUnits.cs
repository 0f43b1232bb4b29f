using System.Globalization;

namespace HarFromScratch.Har.Data;

/// <summary>
/// The physical units of sensor channels and the factors between them (`har predict --acc-units / --gyro-units`): the
/// datasets do not agree (HAPT's gyroscope is in rad/s, USC-HAD's in deg/s; WISDM's accelerometer in m/s², the
/// others' in g), and a model fed the wrong unit sees signals 9.8 or 57 times too large or small.
/// </summary>
public static class SensorUnits
{
    public const string G = "g", MetresPerSecond2 = "m/s2", RadiansPerSecond = "rad/s", DegreesPerSecond = "deg/s";

    /// <summary>Standard gravity (m/s² per g).</summary>
    public const double StandardGravity = 9.80665;

    public static readonly string[] Acceleration = [G, MetresPerSecond2];
    public static readonly string[] AngularRate = [RadiansPerSecond, DegreesPerSecond];

    /// <summary>Each unit in SI (m/s², rad/s).</summary>
    private static double ToSi(string unit) => unit switch
    {
        G => StandardGravity,
        MetresPerSecond2 => 1,
        RadiansPerSecond => 1,
        DegreesPerSecond => Math.PI / 180,
        _ => throw new ArgumentException($"unknown unit '{unit}'"),
    };

    private static bool SameQuantity(string a, string b) => Acceleration.Contains(a) == Acceleration.Contains(b);

    /// <summary>The factor that turns a value in <paramref name="from"/> into one in <paramref name="to"/>.</summary>
    public static double Factor(string from, string to)
    {
        if (!SameQuantity(from, to)) throw new ArgumentException($"cannot convert {from} to {to}: one is an acceleration, the other an angular rate");
        return from == to ? 1 : ToSi(from) / ToSi(to);
    }

    /// <summary>The unit named by an option, in the spellings people write (m/s^2, m/s², deg/s, dps, ...).</summary>
    public static string Parse(string text, string[] allowed, string option)
    {
        var t = text.Trim().ToLowerInvariant().Replace("²", "2").Replace("^", "").Replace(" ", "");
        string? unit = t switch
        {
            "g" => G,
            "m/s2" or "ms-2" or "m/s/s" => MetresPerSecond2,
            "rad/s" or "rads-1" or "rps" => RadiansPerSecond,
            "deg/s" or "°/s" or "dps" or "degs-1" => DegreesPerSecond,
            _ => null,
        };
        if (unit == null || !allowed.Contains(unit))
            throw new ArgumentException($"{option} {text}: expected one of {string.Join(", ", allowed)}");
        return unit;
    }

    /// <summary>A factor as the summary prints it.</summary>
    public static string Show(double factor) => factor.ToString("0.######", CultureInfo.InvariantCulture);
}

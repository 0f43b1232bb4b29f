namespace HarFromScratch.Har.Reports;

/// <summary>
/// Student's t distribution, for confidence intervals of differences paired by seed. A grid has three to ten seeds,
/// where the normal 1.96 would make a 95 % interval far too narrow (the t quantile is 4.30 for three seeds).
/// </summary>
public static class StudentT
{
    /// <summary>P(T ≤ t) for T with df degrees of freedom.</summary>
    public static double Cdf(double t, double df)
    {
        if (!(df > 0)) throw new ArgumentOutOfRangeException(nameof(df), df, "degrees of freedom must be > 0");
        if (double.IsNaN(t)) return double.NaN;
        // P(|T| > |t|) = I_{df/(df+t²)}(df/2, 1/2)
        double tail = 0.5 * RegularizedBeta(df / (df + t * t), df / 2, 0.5);
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>The p-quantile (0 &lt; p &lt; 1): the t with Cdf(t, df) = p, by bisection (the CDF is monotone).</summary>
    public static double Quantile(double p, double df)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "a quantile's probability must be in (0, 1)");
        if (!(df > 0)) throw new ArgumentOutOfRangeException(nameof(df), df, "degrees of freedom must be > 0");
        if (p < 0.5) return -Quantile(1 - p, df);
        double lo = 0, hi = 1;
        while (Cdf(hi, df) < p) { lo = hi; hi *= 2; }
        for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Cdf(mid, df) < p) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>The half-width of the two-sided confidence interval of a mean of n values with sample std s.</summary>
    public static double HalfWidth(double std, int n, double confidence = 0.95) =>
        n < 2 ? double.NaN : Quantile(0.5 + confidence / 2, n - 1) * std / Math.Sqrt(n);

    /// <summary>The regularized incomplete beta function I_x(a, b), by its continued fraction, evaluated on the side
    /// of the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges fast.</summary>
    private static double RegularizedBeta(double x, double a, double b)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        return x < (a + 1) / (a + b + 2) ? front * BetaFraction(x, a, b) / a : 1 - front * BetaFraction(1 - x, b, a) / b;
    }

    /// <summary>The continued fraction of I_x(a, b), by the modified Lentz method.</summary>
    private static double BetaFraction(double x, double a, double b)
    {
        const double Tiny = 1e-300, Eps = 1e-15;
        static double Guard(double v) => Math.Abs(v) < Tiny ? Tiny : v;
        double c = 1, d = 1 / Guard(1 - (a + b) * x / (a + 1)), h = d;
        for (int m = 1; m <= 500; m++)
        {
            // even step, then odd step of the fraction
            double even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
            d = 1 / Guard(1 + even * d);
            c = Guard(1 + even / c);
            h *= d * c;
            double odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
            d = 1 / Guard(1 + odd * d);
            c = Guard(1 + odd / c);
            double step = d * c;
            h *= step;
            if (Math.Abs(step - 1) < Eps) break;
        }
        return h;
    }

    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(x) for x &gt; 0, by Lanczos' approximation (g = 7, nine terms; relative error about 1e-15), with
    /// the reflection formula below 1/2.</summary>
    internal static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        double sum = Lanczos[0];
        for (int i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}

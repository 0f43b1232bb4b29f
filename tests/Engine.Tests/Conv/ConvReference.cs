namespace HarFromScratch.Engine.Tests.Conv;

/// <summary>Naive double-precision conv1d forward and backward straight from the definition (the oracle of the tests).</summary>
internal static class ConvReference
{
    public record Geometry(int N, int Cin, int Cout, int L, int K, int Stride, int PadL, int PadR, int Dilation, int Groups)
    {
        public int OutLength => (L + PadL + PadR - Dilation * (K - 1) - 1) / Stride + 1;
    }

    public static float[] Forward(Geometry g, float[] x, float[] w, float[]? b)
    {
        int T = g.OutLength, cig = g.Cin / g.Groups, cog = g.Cout / g.Groups;
        var y = new float[g.N * g.Cout * T];
        for (int n = 0; n < g.N; n++)
        for (int co = 0; co < g.Cout; co++)
        for (int t = 0; t < T; t++)
        {
            double s = b?[co] ?? 0;
            int grp = co / cog;
            for (int ci = 0; ci < cig; ci++)
            for (int k = 0; k < g.K; k++)
            {
                int j = t * g.Stride + k * g.Dilation - g.PadL;
                if (j < 0 || j >= g.L) continue;
                s += (double)w[(co * cig + ci) * g.K + k] * x[(n * g.Cin + grp * cig + ci) * g.L + j];
            }
            y[(n * g.Cout + co) * T + t] = (float)s;
        }
        return y;
    }

    public static (float[] dx, float[] dw, float[] db) Backward(Geometry g, float[] x, float[] w, float[] dy)
    {
        int T = g.OutLength, cig = g.Cin / g.Groups, cog = g.Cout / g.Groups;
        var dx = new double[x.Length];
        var dw = new double[w.Length];
        var db = new double[g.Cout];
        for (int n = 0; n < g.N; n++)
        for (int co = 0; co < g.Cout; co++)
        for (int t = 0; t < T; t++)
        {
            double gy = dy[(n * g.Cout + co) * T + t];
            db[co] += gy;
            int grp = co / cog;
            for (int ci = 0; ci < cig; ci++)
            for (int k = 0; k < g.K; k++)
            {
                int j = t * g.Stride + k * g.Dilation - g.PadL;
                if (j < 0 || j >= g.L) continue;
                int xi = (n * g.Cin + grp * cig + ci) * g.L + j, wi = (co * cig + ci) * g.K + k;
                dx[xi] += gy * w[wi];
                dw[wi] += gy * x[xi];
            }
        }
        return (dx.Select(v => (float)v).ToArray(), dw.Select(v => (float)v).ToArray(), db.Select(v => (float)v).ToArray());
    }
}

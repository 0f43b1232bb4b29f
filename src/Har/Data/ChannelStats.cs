using System.Text.Json;

namespace HarFromScratch.Har.Data;

/// <summary>
/// Per-channel z-score statistics: x' = (x - mean[c]) / std[c]. Fitted on the training split only and
/// saved with a model (JSON or binary) so the same transform is applied at inference.
/// </summary>
public sealed class ChannelStats
{
    /// <summary>Standard deviations below this are replaced by 1 (constant channel).</summary>
    public const double MinStd = 1e-8;

    public string[] ChannelNames { get; set; } = [];
    public float[] Mean { get; set; } = [];
    public float[] Std { get; set; } = [];

    /// <summary>Fits mean and population std per channel over every window and time step.</summary>
    public static ChannelStats Fit(WindowSet train, string[] channelNames)
    {
        if (train.Count == 0) throw new HarDataException("cannot fit normalisation statistics: the training split is empty");
        int c = train.Channels, t = train.Time;
        var sum = new double[c];
        var sq = new double[c];
        var x = train.X;
        for (int i = 0; i < train.Count; i++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                int o = (i * c + ch) * t;
                double s = 0, q = 0;
                for (int k = 0; k < t; k++) { double v = x[o + k]; s += v; q += v * v; }
                sum[ch] += s; sq[ch] += q;
            }
        }
        double n = (double)train.Count * t;
        var mean = new float[c];
        var std = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double m = sum[ch] / n;
            double var = Math.Max(0, sq[ch] / n - m * m);
            double sd = Math.Sqrt(var);
            mean[ch] = (float)m;
            std[ch] = sd < MinStd ? 1f : (float)sd;
        }
        return new ChannelStats { ChannelNames = (string[])channelNames.Clone(), Mean = mean, Std = std };
    }

    /// <summary>Normalises <paramref name="set"/> in place.</summary>
    public void Apply(WindowSet set)
    {
        if (set.Channels != Mean.Length)
            throw new HarDataException($"normalisation statistics have {Mean.Length} channels; the data has {set.Channels}");
        int c = set.Channels, t = set.Time;
        var x = set.X;
        for (int i = 0; i < set.Count; i++)
            for (int ch = 0; ch < c; ch++)
            {
                float m = Mean[ch], inv = 1f / Std[ch];
                var span = x.AsSpan((i * c + ch) * t, t);
                for (int k = 0; k < span.Length; k++) span[k] = (span[k] - m) * inv;
            }
    }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });

    public static ChannelStats FromJson(string json)
    {
        ChannelStats? s;
        try { s = JsonSerializer.Deserialize<ChannelStats>(json); }
        catch (JsonException e) { throw new HarDataException("invalid normalisation statistics JSON: " + e.Message, null, null, e); }
        if (s is null || s.Mean.Length != s.Std.Length || s.Mean.Length == 0)
            throw new HarDataException("invalid normalisation statistics: expected equal-length non-empty Mean and Std");
        return s;
    }

    public void Write(BinaryWriter w)
    {
        w.Write(Mean.Length);
        for (int i = 0; i < Mean.Length; i++)
        {
            w.Write(i < ChannelNames.Length ? ChannelNames[i] : "");
            w.Write(Mean[i]);
            w.Write(Std[i]);
        }
    }

    public static ChannelStats Read(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n <= 0 || n > 4096) throw new HarDataException($"invalid normalisation statistics: {n} channels");
        var s = new ChannelStats { ChannelNames = new string[n], Mean = new float[n], Std = new float[n] };
        for (int i = 0; i < n; i++) { s.ChannelNames[i] = r.ReadString(); s.Mean[i] = r.ReadSingle(); s.Std[i] = r.ReadSingle(); }
        return s;
    }
}

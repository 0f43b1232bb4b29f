using HarFromScratch.Engine.Random;
using HarFromScratch.Har.Data;

namespace HarFromScratch.Har.Training;

/// <summary>
/// Rotation augmentation (Um et al. 2017): turns every x/y/z sensor triad of a window (channels named PREFIX_x,
/// PREFIX_y, PREFIX_z, e.g. acc and gyro) by one random 3-D rotation — one per window, since the sensors sit on one
/// device — about a uniformly random axis by an angle uniform in [-max, max]. It imitates the device sitting a little
/// differently on each subject. Windows are normalised per channel, and a rotation is only a rotation in physical
/// units, so each triad is un-normalised, rotated and normalised again with the training split's statistics.
/// </summary>
public sealed class SensorRotation
{
    /// <summary>Channel indices of each triad, in x, y, z order.</summary>
    public IReadOnlyList<int[]> Triads { get; }
    private readonly float[] _mean, _std;

    private SensorRotation(List<int[]> triads, float[] mean, float[] std) => (Triads, _mean, _std) = (triads, mean, std);

    /// <summary>Finds the triads by channel name; <paramref name="stats"/> null means the windows are in physical units.</summary>
    public static SensorRotation For(string dataset, IReadOnlyList<string> channelNames, ChannelStats? stats)
    {
        var triads = new List<int[]>();
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = channelNames.Count - 1; i >= 0; i--) index[channelNames[i]] = i;   // the first of equal names wins
        for (int x = 0; x < channelNames.Count; x++)
        {
            var name = channelNames[x];
            if (!name.EndsWith("_x", StringComparison.OrdinalIgnoreCase) || index[name] != x) continue;
            var prefix = name[..^2];
            if (index.TryGetValue(prefix + "_y", out int y) && index.TryGetValue(prefix + "_z", out int z)) triads.Add([x, y, z]);
        }
        if (triads.Count == 0)
            throw new ArgumentException($"--rotate: dataset {dataset} has no x/y/z sensor channels to rotate (channels: {string.Join(", ", channelNames)})");
        int c = channelNames.Count;
        var mean = stats?.Mean ?? new float[c];
        var std = stats?.Std ?? Enumerable.Repeat(1f, c).ToArray();
        if (mean.Length != c || std.Length != c)
            throw new ArgumentException($"--rotate: normalisation statistics cover {mean.Length} channels, the dataset has {c}");
        return new SensorRotation(triads, mean, std);
    }

    /// <summary>A rotation matrix (row-major 3x3) about a uniform random axis by an angle uniform in [-maxDegrees, maxDegrees].</summary>
    public static float[] RandomMatrix(float maxDegrees, Rng rng)
    {
        double ux, uy, uz, norm;
        do
        {
            ux = rng.NextNormal(); uy = rng.NextNormal(); uz = rng.NextNormal();
            norm = Math.Sqrt(ux * ux + uy * uy + uz * uz);
        } while (norm < 1e-9);
        ux /= norm; uy /= norm; uz /= norm;
        double a = (2 * rng.NextDouble() - 1) * maxDegrees * Math.PI / 180;
        double cos = Math.Cos(a), sin = Math.Sin(a), k = 1 - cos;
        // Rodrigues: R = cos·I + sin·[u]× + (1 − cos)·u uᵀ
        return
        [
            (float)(cos + k * ux * ux), (float)(k * ux * uy - sin * uz), (float)(k * ux * uz + sin * uy),
            (float)(k * uy * ux + sin * uz), (float)(cos + k * uy * uy), (float)(k * uy * uz - sin * ux),
            (float)(k * uz * ux - sin * uy), (float)(k * uz * uy + sin * ux), (float)(cos + k * uz * uz),
        ];
    }

    /// <summary>Rotates one window (channels x time, normalised) in place by <paramref name="r"/>.</summary>
    public void Apply(Span<float> window, int time, ReadOnlySpan<float> r)
    {
        foreach (var t3 in Triads)
        {
            var cx = window.Slice(t3[0] * time, time);
            var cy = window.Slice(t3[1] * time, time);
            var cz = window.Slice(t3[2] * time, time);
            float mx = _mean[t3[0]], my = _mean[t3[1]], mz = _mean[t3[2]];
            float sx = _std[t3[0]], sy = _std[t3[1]], sz = _std[t3[2]];
            for (int t = 0; t < time; t++)
            {
                float x = cx[t] * sx + mx, y = cy[t] * sy + my, z = cz[t] * sz + mz;
                cx[t] = (r[0] * x + r[1] * y + r[2] * z - mx) / sx;
                cy[t] = (r[3] * x + r[4] * y + r[5] * z - my) / sy;
                cz[t] = (r[6] * x + r[7] * y + r[8] * z - mz) / sz;
            }
        }
    }
}

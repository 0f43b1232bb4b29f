using HarFromScratch.Engine.Random;

namespace HarFromScratch.Har.Training;

/// <summary>
/// Time-series augmentation applied to a host batch (N, C, T) in place: Gaussian jitter, per-window per-channel
/// scaling, and a circular time shift. Seeded from (seed, epoch, batch) so a resumed run sees the same batches.
/// </summary>
public static class Augmentation
{
    public static void Apply(Span<float> x, int n, int channels, int time, TrainOptions o, Rng rng)
    {
        var tmp = new float[time];
        for (int i = 0; i < n; i++)
        {
            int shift = o.MaxShift > 0 ? rng.NextInt(2 * o.MaxShift + 1) - o.MaxShift : 0;
            for (int c = 0; c < channels; c++)
            {
                var w = x.Slice((i * channels + c) * time, time);
                float scale = 1f + o.ScaleStd * (float)rng.NextNormal();
                for (int t = 0; t < time; t++) w[t] = w[t] * scale + o.JitterStd * (float)rng.NextNormal();
                if (shift != 0)
                {
                    for (int t = 0; t < time; t++) tmp[((t + shift) % time + time) % time] = w[t];
                    tmp.CopyTo(w);
                }
            }
        }
    }
}

using HarFromScratch.Engine.Random;

namespace HarFromScratch.Har.Training;

/// <summary>
/// Time-series augmentation applied to a host batch (N, C, T) in place: a random rotation of the sensor triads
/// (<see cref="SensorRotation"/>, when <see cref="TrainOptions.RotateDegrees"/> > 0), Gaussian jitter, per-window
/// per-channel scaling, and a circular time shift. Seeded from (seed, epoch, batch) so a resumed run sees the same
/// batches; with rotation off no random number is drawn for it, so earlier runs replay unchanged.
/// </summary>
public static class Augmentation
{
    public static void Apply(Span<float> x, int n, int channels, int time, TrainOptions o, Rng rng, SensorRotation? rotation = null)
    {
        var tmp = new float[time];
        for (int i = 0; i < n; i++)
        {
            int shift = o.MaxShift > 0 ? rng.NextInt(2 * o.MaxShift + 1) - o.MaxShift : 0;
            if (o.RotateDegrees > 0)
            {
                if (rotation is null) throw new ArgumentException("--rotate needs the dataset's sensor triads (SensorRotation)");
                rotation.Apply(x.Slice(i * channels * time, channels * time), time, SensorRotation.RandomMatrix(o.RotateDegrees, rng));
            }
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

using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Data;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Tests.Training;

/// <summary>A small model with dropout (so generator state matters for resume) for trainer tests.</summary>
internal sealed class TinyModel : HarModel
{
    private readonly Linear _fc1, _fc2;
    private readonly MaskNoise _drop;

    public TinyModel(ModelSpec spec, Rng rng) : base(spec)
    {
        _fc1 = RegisterModule("fc1", new Linear(spec.Channels * spec.Length, 16, rng: rng, device: Device.Cpu));
        _drop = RegisterModule("drop", new MaskNoise(0.2f, rng.Fork()));
        _fc2 = RegisterModule("fc2", new Linear(16, spec.Classes, rng: rng, device: Device.Cpu));
    }

    public override ModelOutput Run(Tensor x)
    {
        CheckInput(x);
        var h = _drop.Forward(_fc1.Forward(x.Flatten(1)).Relu());
        return new ModelOutput(_fc2.Forward(h), [new NamedFeature("fc1", h)], []);
    }
}

/// <summary>Inverted dropout drawn from a registered generator (its state must survive a resume).</summary>
internal sealed class MaskNoise : Module
{
    private readonly float _p;
    private readonly Rng _rng;

    public MaskNoise(float p, Rng rng)
    {
        _p = p;
        _rng = RegisterRng("rng", rng);
    }

    public override Tensor Forward(Tensor x)
    {
        if (!Training) return x;
        var m = new float[x.Numel];
        for (int i = 0; i < m.Length; i++) m[i] = _rng.NextDouble() < _p ? 0f : 1f / (1f - _p);
        return x * Tensor.FromArray(m, x.Shape, x.Device);
    }
}

internal static class SyntheticData
{
    /// <summary>Three classes told apart by the mean of channel 0; subjects 1-6 train, 7 val, 8 test.</summary>
    public static HarDataset Make(int perSubject = 24, ulong seed = 5)
    {
        var rng = new Rng(seed);
        WindowSet Set(int[] subjects)
        {
            int n = subjects.Length * perSubject;
            var x = new float[n * 2 * 8];
            var y = new int[n];
            var s = new int[n];
            for (int i = 0; i < n; i++)
            {
                y[i] = i % 3;
                s[i] = subjects[i / perSubject];
                for (int t = 0; t < 16; t++) x[i * 16 + t] = (float)rng.NextNormal() * 0.5f + (t < 8 ? y[i] - 1 : 0);
            }
            return new WindowSet(x, y, s, 2, 8);
        }
        return new HarDataset
        {
            Name = "synthetic", ChannelNames = ["a", "b"], ClassNames = ["c0", "c1", "c2"], SamplingRateHz = 50,
            Train = Set([1, 2, 3, 4, 5, 6]), Validation = Set([7]), Test = Set([8]), Counters = new(),
        };
    }
}

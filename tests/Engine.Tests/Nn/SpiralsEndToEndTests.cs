using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Optim;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Nn;

/// <summary>End to end: an MLP learns two interleaved spirals on cpu, and a seed fixes every loss bit for bit.</summary>
public class SpiralsEndToEndTests
{
    private static (float[] x, int[] y) TwoSpirals(int perClass, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[perClass * 2 * 2];
        var y = new int[perClass * 2];
        for (int c = 0; c < 2; c++)
        for (int i = 0; i < perClass; i++)
        {
            double t = 0.25 + 3.5 * Math.PI * i / perClass;
            double r = t / (3.5 * Math.PI);
            double angle = t + c * Math.PI;
            int k = c * perClass + i;
            x[2 * k] = (float)(r * Math.Cos(angle) + 0.01 * rng.NextNormal());
            x[2 * k + 1] = (float)(r * Math.Sin(angle) + 0.01 * rng.NextNormal());
            y[k] = c;
        }
        return (x, y);
    }

    private static (List<float> losses, float accuracy) Train(ulong seed)
    {
        var (xs, ys) = TwoSpirals(200, 42);
        var rng = new Rng(seed);
        var model = new Sequential(
            new Linear(2, 64, rng: rng, device: Cpu), Activation.Tanh(),
            new Linear(64, 64, rng: rng, device: Cpu), Activation.Tanh(),
            new Linear(64, 2, rng: rng, device: Cpu));
        var opt = new Adam(model.Parameters(), 0.01f);
        var x = TensorScope.Unscoped(() => Tensor.FromArray(xs, [ys.Length, 2], Cpu));
        var losses = new List<float>();
        for (int epoch = 0; epoch < 600; epoch++)
        {
            using var _ = TensorScope.Begin();
            opt.ZeroGrad();
            var loss = Losses.CrossEntropy(model.Forward(x), ys);
            loss.Backward();
            opt.Step();
            losses.Add(loss.Item());
        }
        using var s = TensorScope.Begin();
        using var ng = GradMode.NoGrad();
        var pred = model.Forward(x).ArgMaxLastAxis();
        float acc = pred.Zip(ys).Count(p => p.First == p.Second) / (float)ys.Length;
        return (losses, acc);
    }

    [Fact]
    public void MlpLearnsTwoSpiralsDeterministically()
    {
        var (l1, acc) = Train(3);
        Assert.True(acc >= 0.98f, $"accuracy {acc:P1} after 600 full-batch steps (final loss {l1[^1]})");
        var (l2, _) = Train(3);
        Assert.Equal(l1.Select(BitConverter.SingleToInt32Bits), l2.Select(BitConverter.SingleToInt32Bits));
    }
}

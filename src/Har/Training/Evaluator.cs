using System.Diagnostics;
using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Data;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Training;

public sealed record EvalResult(double Loss, ClassificationReport Report, int[] Predictions);

/// <summary>Evaluation in eval mode without gradients, in fixed-order batches.</summary>
public static class Evaluator
{
    public static EvalResult Evaluate(HarModel model, WindowSet set, IReadOnlyList<string> classNames, int batchSize = 256)
    {
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            var device = model.Device;
            var preds = new int[set.Count];
            double lossSum = 0;
            int per = set.Channels * set.Time;
            for (int start = 0; start < set.Count; start += batchSize)
            {
                int n = Math.Min(batchSize, set.Count - start);
                using var scope = TensorScope.Begin();
                using var ng = GradMode.NoGrad();
                var x = Tensor.FromArray(set.X.AsSpan(start * per, n * per).ToArray(), [n, set.Channels, set.Time], device);
                var labels = set.Labels.AsSpan(start, n).ToArray();
                var logits = model.Forward(x);
                lossSum += Losses.CrossEntropy(logits, labels).Item() * n;
                logits.ArgMaxLastAxis().CopyTo(preds, start);
            }
            var report = new ClassificationReport(set.Labels, preds, classNames);
            return new EvalResult(set.Count == 0 ? 0 : lossSum / set.Count, report, preds);
        }
        finally { model.Train(wasTraining); }
    }

    /// <summary>Median inference latency (ms) of one batch of <paramref name="batch"/> windows on the model's device.</summary>
    public static double LatencyMs(HarModel model, int batch, int repeats = 20)
    {
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var scope = TensorScope.Begin();
            using var ng = GradMode.NoGrad();
            var x = Tensor.Zeros([batch, model.Spec.Channels, model.Spec.Length], model.Device);
            var times = new List<double>();
            for (int i = 0; i < repeats + 3; i++)
            {
                using var step = TensorScope.Begin();
                var sw = Stopwatch.StartNew();
                model.Forward(x).ToArray();
                if (i >= 3) times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            return times[times.Count / 2];
        }
        finally { model.Train(wasTraining); }
    }
}

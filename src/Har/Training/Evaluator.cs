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
        var preds = new int[set.Count];
        double lossSum = 0;
        ForEachBatch(model, set, batchSize, (logits, start, n) =>
        {
            lossSum += Losses.CrossEntropy(logits, set.Labels.AsSpan(start, n).ToArray()).Item() * n;
            logits.ArgMaxLastAxis().CopyTo(preds, start);
        });
        var report = new ClassificationReport(set.Labels, preds, classNames);
        return new EvalResult(set.Count == 0 ? 0 : lossSum / set.Count, report, preds);
    }

    /// <summary>
    /// Runs the model over the set in eval mode without gradients, in fixed-order batches, and hands each batch's
    /// logits [n, classes] with its first window's index to <paramref name="onBatch"/> (inside the batch's tensor scope).
    /// </summary>
    public static void ForEachBatch(HarModel model, WindowSet set, int batchSize, Action<Tensor, int, int> onBatch)
    {
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            int per = set.Channels * set.Time;
            for (int start = 0; start < set.Count; start += batchSize)
            {
                int n = Math.Min(batchSize, set.Count - start);
                using var scope = TensorScope.Begin();
                using var ng = GradMode.NoGrad();
                var x = Tensor.FromArray(set.X.AsSpan(start * per, n * per).ToArray(), [n, set.Channels, set.Time], model.Device);
                onBatch(model.Forward(x), start, n);
            }
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

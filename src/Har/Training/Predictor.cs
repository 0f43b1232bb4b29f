using HarFromScratch.Har.Data;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Training;

/// <summary>Class probabilities of windows without labels (`har predict`), in eval mode without gradients.</summary>
public static class Predictor
{
    /// <summary>The softmax of the model's logits for each window of the set, row-major [windows, classes].</summary>
    public static float[] Probabilities(HarModel model, WindowSet set, int batchSize = 256)
    {
        int classes = model.Spec.Classes;
        var p = new float[(long)set.Count * classes];
        Evaluator.ForEachBatch(model, set, batchSize, (logits, start, _) => logits.Softmax(-1).ToArray().CopyTo(p, (long)start * classes));
        return p;
    }

    /// <summary>The most likely class of each row of [rows, classes] probabilities (the first of ties).</summary>
    public static int[] MostLikely(float[] probabilities, int classes)
    {
        var best = new int[probabilities.Length / classes];
        for (int w = 0; w < best.Length; w++)
        {
            var pw = probabilities.AsSpan(w * classes, classes);
            for (int c = 1; c < classes; c++) if (pw[c] > pw[best[w]]) best[w] = c;
        }
        return best;
    }

    /// <summary>
    /// Cuts a sample-major recording ([t * C + c]) into the model's windows ([C, T] each, as the loaders cut them) and
    /// normalises them with the run's training statistics. The tail shorter than a window is left out.
    /// </summary>
    public static WindowSet Windows(float[] samples, int count, int channels, int length, int stride, ChannelStats? stats, string source)
    {
        if (count < length)
            throw new HarDataException($"{count} samples, fewer than one window of {length}: the model classifies windows of {length} samples", source);
        var b = new WindowBuilder(channels, length, WindowBuilder.WindowCount(count, length, stride));
        for (int start = 0; start + length <= count; start += stride) b.Add(samples, start, label: 0, subject: 0);
        var set = b.Build();
        stats?.Apply(set);
        return set;
    }
}

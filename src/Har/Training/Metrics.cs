namespace HarFromScratch.Har.Training;

/// <summary>Per-class precision, recall and F1 with its support (true windows of the class).</summary>
public sealed record ClassMetrics(string Name, double Precision, double Recall, double F1, int Support);

/// <summary>
/// Classification metrics from a confusion matrix (rows: true class, columns: predicted class).
/// Macro-F1 is the unweighted mean of per-class F1 (a class with no true and no predicted windows is left out,
/// as scikit-learn does with labels that never occur).
/// </summary>
public sealed class ClassificationReport
{
    public ClassificationReport(int[] trueLabels, int[] predicted, IReadOnlyList<string> classNames)
    {
        if (trueLabels.Length != predicted.Length)
            throw new ArgumentException($"{trueLabels.Length} labels vs {predicted.Length} predictions");
        int k = classNames.Count;
        ClassNames = classNames;
        Confusion = new int[k, k];
        for (int i = 0; i < trueLabels.Length; i++)
        {
            if ((uint)trueLabels[i] >= (uint)k || (uint)predicted[i] >= (uint)k)
                throw new ArgumentOutOfRangeException(nameof(trueLabels), $"window {i}: label {trueLabels[i]} / prediction {predicted[i]} outside [0, {k})");
            Confusion[trueLabels[i], predicted[i]]++;
        }
        Count = trueLabels.Length;
        int correct = 0;
        var perClass = new List<ClassMetrics>();
        for (int c = 0; c < k; c++)
        {
            correct += Confusion[c, c];
            int support = 0, predictedC = 0;
            for (int j = 0; j < k; j++) { support += Confusion[c, j]; predictedC += Confusion[j, c]; }
            double p = predictedC == 0 ? 0 : (double)Confusion[c, c] / predictedC;
            double r = support == 0 ? 0 : (double)Confusion[c, c] / support;
            double f1 = p + r == 0 ? 0 : 2 * p * r / (p + r);
            perClass.Add(new ClassMetrics(classNames[c], p, r, f1, support));
        }
        PerClass = perClass;
        Accuracy = Count == 0 ? 0 : (double)correct / Count;
        var present = Enumerable.Range(0, k).Where(c => perClass[c].Support > 0 || Enumerable.Range(0, k).Any(j => Confusion[j, c] > 0)).ToList();
        MacroF1 = present.Count == 0 ? 0 : present.Average(c => perClass[c].F1);
    }

    public IReadOnlyList<string> ClassNames { get; }
    public int[,] Confusion { get; }
    public int Count { get; }
    public double Accuracy { get; }
    public double MacroF1 { get; }
    public IReadOnlyList<ClassMetrics> PerClass { get; }

    /// <summary>The confusion matrix as a Markdown table.</summary>
    public string ConfusionMarkdown()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("| true \\ predicted | ").Append(string.Join(" | ", ClassNames)).AppendLine(" |");
        sb.Append("|---|").Append(string.Concat(ClassNames.Select(_ => "---:|"))).AppendLine();
        for (int i = 0; i < ClassNames.Count; i++)
        {
            sb.Append("| ").Append(ClassNames[i]).Append(" | ");
            sb.Append(string.Join(" | ", Enumerable.Range(0, ClassNames.Count).Select(j => Confusion[i, j].ToString())));
            sb.AppendLine(" |");
        }
        return sb.ToString();
    }
}

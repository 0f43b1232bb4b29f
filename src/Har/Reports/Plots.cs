using HarFromScratch.Har.Training;
using ScottPlot;

namespace HarFromScratch.Har.Reports;

/// <summary>PNG figures of runs and experiments (ScottPlot, rendered off-screen).</summary>
public static class Plots
{
    /// <summary>Training and validation loss per epoch.</summary>
    public static void LossCurves(IReadOnlyList<EpochRecord> history, string path, string title)
    {
        var plt = new Plot();
        double[] ep = history.Select(h => (double)h.Epoch).ToArray();
        plt.Add.Scatter(ep, history.Select(h => h.TrainLoss).ToArray()).LegendText = "train loss";
        if (history.Any(h => double.IsFinite(h.ValLoss)))
            plt.Add.Scatter(ep, history.Select(h => h.ValLoss).ToArray()).LegendText = "validation loss";
        plt.Title(title);
        plt.XLabel("epoch");
        plt.YLabel("cross-entropy");
        plt.ShowLegend();
        plt.SavePng(path, 800, 500);
    }

    /// <summary>Training accuracy, validation accuracy and validation macro-F1 per epoch.</summary>
    public static void MetricCurves(IReadOnlyList<EpochRecord> history, string path, string title)
    {
        var plt = new Plot();
        double[] ep = history.Select(h => (double)h.Epoch).ToArray();
        plt.Add.Scatter(ep, history.Select(h => h.TrainAccuracy).ToArray()).LegendText = "train accuracy";
        plt.Add.Scatter(ep, history.Select(h => h.ValAccuracy).ToArray()).LegendText = "validation accuracy";
        plt.Add.Scatter(ep, history.Select(h => h.ValMacroF1).ToArray()).LegendText = "validation macro-F1";
        plt.Title(title);
        plt.XLabel("epoch");
        plt.Axes.SetLimitsY(0, 1.02);
        plt.ShowLegend();
        plt.SavePng(path, 800, 500);
    }

    /// <summary>Row-normalised confusion matrix as a heatmap, with the counts written in the cells.</summary>
    public static void Confusion(ClassificationReport r, string path, string title)
    {
        int k = r.ClassNames.Count;
        var norm = new double[k, k];
        for (int i = 0; i < k; i++)
        {
            double row = 0;
            for (int j = 0; j < k; j++) row += r.Confusion[i, j];
            for (int j = 0; j < k; j++) norm[i, j] = row == 0 ? 0 : r.Confusion[i, j] / row;
        }
        var plt = new Plot();
        var hm = plt.Add.Heatmap(norm);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        hm.FlipVertically = true;
        for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
        {
            var t = plt.Add.Text(r.Confusion[i, j].ToString(), j, k - 1 - i);
            t.LabelFontColor = norm[i, j] > 0.5 ? Colors.Black : Colors.White;
            t.LabelAlignment = Alignment.MiddleCenter;
            t.LabelFontSize = k > 8 ? 10 : 14;
        }
        plt.Add.ColorBar(hm);
        var ticks = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        plt.Axes.Bottom.SetTicks(ticks, r.ClassNames.ToArray());
        plt.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plt.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plt.Axes.Left.SetTicks(ticks, r.ClassNames.Reverse().ToArray());
        plt.XLabel("predicted");
        plt.YLabel("true");
        plt.Title(title);
        int size = Math.Max(600, 70 * k + 250);
        plt.SavePng(path, size + 100, size);
    }

    /// <summary>The colour of series s of n, one of its own for each: Category10 up to ten series, Category20 beyond, and
    /// darker shades of Category20 past twenty (a grid with variants easily has more than ten arms).</summary>
    public static Color SeriesColor(int s, int n)
    {
        IPalette palette = n <= 10 ? new ScottPlot.Palettes.Category10() : new ScottPlot.Palettes.Category20();
        return palette.GetColor(s).Darken(Math.Min(0.75, 0.25 * (s / palette.Colors.Length)));   // GetColor wraps around
    }

    /// <summary>Grouped bar chart with error bars: one group per row label, one bar per series.</summary>
    public static void Bars(IReadOnlyList<string> groups, IReadOnlyList<string> series, double[,] mean, double[,] std, string path, string title, string yLabel)
    {
        var plt = new Plot();
        int ns = series.Count;
        for (int s = 0; s < ns; s++)
        {
            var bars = new List<Bar>();
            for (int g = 0; g < groups.Count; g++)
                bars.Add(new Bar { Position = g * (ns + 1) + s, Value = mean[g, s], Error = std[g, s], FillColor = SeriesColor(s, ns) });
            plt.Add.Bars(bars).LegendText = series[s];
        }
        plt.Axes.Bottom.SetTicks(Enumerable.Range(0, groups.Count).Select(g => g * (ns + 1) + (ns - 1) / 2.0).ToArray(), groups.ToArray());
        plt.YLabel(yLabel);
        plt.Title(title);
        plt.ShowLegend(Alignment.LowerRight);
        plt.Axes.Margins(bottom: 0);
        plt.SavePng(path, Math.Max(800, 60 * groups.Count * (ns + 1)), 500);
    }

    /// <summary>Class probabilities along a recording (`har predict --plot`): one line per class that is some window's
    /// most likely one, at each window's centre time; the other classes are left out of the legend's way.</summary>
    public static void Timeline(IReadOnlyList<string> classNames, float[] probabilities, int[] predicted, double[] centreSeconds, string path, string title)
    {
        int k = classNames.Count, n = centreSeconds.Length;
        var shown = new SortedSet<int>(predicted);
        var plt = new Plot();
        int s = 0;
        foreach (var c in shown)
        {
            var ys = new double[n];
            for (int w = 0; w < n; w++) ys[w] = probabilities[w * k + c];
            var line = plt.Add.Scatter(centreSeconds, ys);
            line.LegendText = classNames[c];
            line.Color = SeriesColor(s++, shown.Count);
            line.MarkerSize = n > 200 ? 0 : 3;
        }
        plt.Title(title);
        plt.XLabel("time (s)");
        plt.YLabel("class probability");
        plt.Axes.SetLimitsY(0, 1.02);
        plt.ShowLegend(Edge.Right);   // beside the plot: every stretch of the recording stays visible
        plt.SavePng(path, Math.Clamp(4 * n, 900, 2400) + 200, 450);
    }
}

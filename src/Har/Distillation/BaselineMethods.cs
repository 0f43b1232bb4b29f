namespace HarFromScratch.Har.Distillation;

/// <summary>The classic KD baselines of the comparison table (entries added with their implementations).</summary>
public static class BaselineMethods
{
    public static IReadOnlyList<MethodEntry> Entries { get; } = [];
}

namespace HarFromScratch.Har.Distillation;

/// <summary>The project's methods: SMLDist and HMKD (entries added with their implementations).</summary>
public static class ProposedMethods
{
    public static IReadOnlyList<MethodEntry> Entries { get; } = [];
}

namespace HarFromScratch.Har.Data;

internal static class Par
{
    /// <summary>Parallel.For that rethrows the first inner exception unwrapped (so callers see HarDataException).</summary>
    public static void For(int n, Action<int> body)
    {
        try
        {
            Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, body);
        }
        catch (AggregateException ae)
        {
            var first = ae.Flatten().InnerExceptions.OrderBy(e => e is HarDataException ? 0 : 1).First();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
    }
}

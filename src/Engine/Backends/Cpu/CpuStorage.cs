using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends.Cpu;

/// <summary>A pinned managed float array (pinned so kernels can use raw pointers without fixed blocks).</summary>
public sealed unsafe class CpuStorage : Storage
{
    internal CpuStorage(IBackend backend, long capacity) : base(backend, capacity)
    {
        if (capacity > Array.MaxLength) throw new OutOfMemoryException($"a cpu tensor of {capacity} floats exceeds the largest .NET array");
        Data = GC.AllocateUninitializedArray<float>((int)capacity, pinned: true);
        Ptr = (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref Data[0]);
    }

    public float[] Data { get; }
    public float* Ptr { get; }

    public Span<float> Span(long offset, long length) => Data.AsSpan((int)offset, (int)length);
}

/// <summary>
/// Splits a range into at most <see cref="Threads"/> fixed chunks (chunk c = [n·c/k, n·(c+1)/k), whoever runs it, so
/// results never depend on scheduling); ranges below two grains run inline.
/// </summary>
internal static class CpuParallel
{
    public static int Threads { get; set; } = Environment.ProcessorCount;

    public static void For(long n, long grain, Action<long, long> body)
    {
        int chunks = (int)Math.Min(Threads, Math.Max(1, n / Math.Max(grain, 1)));
        if (chunks <= 1) { body(0, n); return; }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Threads }, c =>
        {
            long start = n * c / chunks, end = n * (c + 1) / chunks;
            body(start, end);
        });
    }
}

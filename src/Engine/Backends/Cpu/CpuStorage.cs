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
/// results never depend on scheduling); ranges below two grains run inline. Chunks go to <see cref="SpinPool"/>'s
/// spinning workers; if the pool is already busy (a nested call, or another thread's op) they go to Parallel.For.
/// </summary>
internal static class CpuParallel
{
    public static int Threads { get; set; } = Environment.ProcessorCount;

    public static void For(long n, long grain, Action<long, long> body)
    {
        int chunks = (int)Math.Min(Threads, Math.Max(1, n / Math.Max(grain, 1)));
        if (chunks <= 1) { body(0, n); return; }
        if (SpinPool.TryRun(chunks, n, body)) return;
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Threads }, c =>
        {
            long start = n * c / chunks, end = n * (c + 1) / chunks;
            body(start, end);
        });
    }
}

/// <summary>
/// One job at a time for ProcessorCount − 1 background workers that spin briefly between jobs, then block. The ops of a
/// training step come back to back, microseconds apart: a thread-pool worker that has gone to sleep takes tens of
/// microseconds to wake, and meanwhile the caller runs every chunk itself (measured: rfft over 4096 rows took 0.46 ms
/// or 0.78 ms depending on whether the pool thread was awake).
/// </summary>
internal static class SpinPool
{
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000; // ~200 us of spinning
    private static readonly object StartLock = new();
    private static readonly object Gate = new();
    private static Thread[]? _workers;

    private static Action<long, long>? _body;
    private static long _n;
    private static int _chunks, _next, _pending, _busy, _sleeping;
    private static long _generation;
    private static Exception? _error;

    public static bool TryRun(int chunks, long n, Action<long, long> body)
    {
        if (Environment.ProcessorCount < 2 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
        try
        {
            EnsureWorkers();
            _body = body; _n = n; _error = null;
            Volatile.Write(ref _chunks, chunks);
            Volatile.Write(ref _pending, chunks);
            Volatile.Write(ref _next, 0);
            Interlocked.Increment(ref _generation); // publishes the job
            if (Volatile.Read(ref _sleeping) > 0) lock (Gate) Monitor.PulseAll(Gate);
            RunChunks();
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) > 0) spin.SpinOnce(sleep1Threshold: -1);
            var error = _error;
            _body = null;
            if (error != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
            return true;
        }
        finally { Volatile.Write(ref _busy, 0); }
    }

    private static void RunChunks()
    {
        while (true)
        {
            int c = Interlocked.Increment(ref _next) - 1;
            int chunks = Volatile.Read(ref _chunks);
            if (c >= chunks) return;
            try
            {
                long n = _n;
                _body!(n * c / chunks, n * (c + 1) / chunks);
            }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            finally { Interlocked.Decrement(ref _pending); }
        }
    }

    private static void EnsureWorkers()
    {
        if (_workers != null) return;
        lock (StartLock)
        {
            if (_workers != null) return;
            var ws = new Thread[Environment.ProcessorCount - 1];
            for (int i = 0; i < ws.Length; i++)
            {
                ws[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"cpu-backend-{i + 1}" };
                ws[i].Start();
            }
            _workers = ws;
        }
    }

    private static void WorkerLoop()
    {
        long seen = Volatile.Read(ref _generation);
        while (true)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _generation) == seen)
            {
                if (System.Diagnostics.Stopwatch.GetTimestamp() - start < SpinTicks) { Thread.SpinWait(20); continue; }
                // block: the sleeper count is raised (a full fence) before the last look at the generation, and the
                // caller reads it after publishing, so either this look sees the job or the caller pulses
                lock (Gate)
                {
                    Interlocked.Increment(ref _sleeping);
                    while (Volatile.Read(ref _generation) == seen) Monitor.Wait(Gate);
                    Interlocked.Decrement(ref _sleeping);
                }
            }
            seen = Volatile.Read(ref _generation);
            if (Volatile.Read(ref _busy) == 1) RunChunks();
        }
    }
}

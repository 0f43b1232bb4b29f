namespace HarFromScratch.Har.Data;

/// <summary>
/// One mini-batch on the host: <see cref="X"/> holds <see cref="Count"/> windows laid out
/// (Count, Channels, Time) at the start of a buffer sized for a full batch; <see cref="Y"/> holds their
/// 0-based labels and <see cref="Indices"/> their positions in the source set. Buffers are reused: a
/// batch is valid until the enumerator moves on.
/// </summary>
public sealed class Batch
{
    public float[] X { get; }
    public int[] Y { get; }
    public int[] Indices { get; }
    public int Count { get; internal set; }
    public int Channels { get; }
    public int Time { get; }
    /// <summary>0-based index of the batch within its epoch.</summary>
    public int Index { get; internal set; }

    internal Batch(int capacity, int channels, int time)
    {
        X = new float[(long)capacity * channels * time];
        Y = new int[capacity];
        Indices = new int[capacity];
        Channels = channels; Time = time;
    }

    public ReadOnlySpan<float> XSpan => X.AsSpan(0, Count * Channels * Time);
    public ReadOnlySpan<int> YSpan => Y.AsSpan(0, Count);
}

/// <summary>
/// Mini-batch loader with a seeded shuffle and double buffering: while the consumer works on batch b,
/// batch b+1 is gathered on a worker thread into the other buffer. The order of an epoch depends only
/// on (seed, epoch), so a run is reproducible.
/// </summary>
public sealed class BatchLoader
{
    private readonly WindowSet _set;
    private readonly Batch[] _buffers;

    public int BatchSize { get; }
    public bool Shuffle { get; }
    public bool DropLast { get; }
    public bool Prefetch { get; }
    public ulong Seed { get; }

    public BatchLoader(WindowSet set, int batchSize, bool shuffle = true, ulong seed = 0, bool dropLast = false, bool prefetch = true)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), "batch size must be at least 1");
        _set = set;
        BatchSize = batchSize; Shuffle = shuffle; Seed = seed; DropLast = dropLast; Prefetch = prefetch;
        int cap = Math.Min(batchSize, Math.Max(1, set.Count));
        _buffers = [new Batch(cap, set.Channels, set.Time), new Batch(cap, set.Channels, set.Time)];
    }

    public int BatchesPerEpoch => DropLast ? _set.Count / BatchSize : (_set.Count + BatchSize - 1) / BatchSize;

    /// <summary>Sample order of an epoch: a seeded permutation, or 0..N-1 without shuffling.</summary>
    public int[] Order(int epoch)
    {
        var order = new int[_set.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (Shuffle) new SplitMix64(SplitMix64.Mix(Seed, (ulong)epoch)).Shuffle(order.AsSpan());
        return order;
    }

    /// <summary>
    /// Batches of one epoch. Each yielded <see cref="Batch"/> is one of two reused buffers and stays
    /// valid until the next MoveNext. Dispose the enumerator (foreach does) to stop early.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch)
    {
        var order = Order(epoch);
        int nb = BatchesPerEpoch;
        if (nb == 0) yield break;
        Task? pending = Prefetch ? Task.Run(() => Fill(_buffers[0], order, 0)) : null;
        try
        {
            for (int b = 0; b < nb; b++)
            {
                var cur = _buffers[b & 1];
                if (pending is not null) { pending.GetAwaiter().GetResult(); pending = null; }
                else Fill(cur, order, b);
                if (Prefetch && b + 1 < nb)
                {
                    int next = b + 1;
                    pending = Task.Run(() => Fill(_buffers[next & 1], order, next));
                }
                yield return cur;
            }
        }
        finally
        {
            // never leave a worker writing into a buffer the next epoch will use
            try { pending?.GetAwaiter().GetResult(); } catch { /* surfaced on the normal path */ }
        }
    }

    private void Fill(Batch batch, int[] order, int b)
    {
        int start = b * BatchSize;
        int count = Math.Min(BatchSize, order.Length - start);
        int w = _set.Channels * _set.Time;
        var src = _set.X;
        for (int i = 0; i < count; i++)
        {
            int idx = order[start + i];
            Array.Copy(src, (long)idx * w, batch.X, (long)i * w, w);
            batch.Y[i] = _set.Labels[idx];
            batch.Indices[i] = idx;
        }
        batch.Count = count;
        batch.Index = b;
    }
}

using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends;

/// <summary>
/// Size-class pool of released storages, shared by all backends. Sizes round up to classes at most 12.5% apart,
/// so a training loop whose tensor sizes repeat every step stops allocating after its first step.
/// </summary>
public sealed class BufferPool<TStorage>(Func<long, TStorage> allocate, Action<TStorage> free) where TStorage : Storage
{
    private readonly Dictionary<long, Stack<TStorage>> _free = new();
    private readonly object _gate = new();
    private long _liveBytes, _pooledBytes;

    public long LiveBytes => Interlocked.Read(ref _liveBytes);
    public long PooledBytes => Interlocked.Read(ref _pooledBytes);

    public static long SizeClass(long n)
    {
        if (n <= 1024) return Math.Max(64, (n + 63) & ~63L);
        long p = 1L << (int)(63 - long.LeadingZeroCount(n));
        long step = p / 8;
        return (n + step - 1) / step * step;
    }

    public TStorage Rent(long n)
    {
        long cls = SizeClass(n);
        TStorage? s = null;
        lock (_gate)
        {
            if (_free.TryGetValue(cls, out var stack) && stack.Count > 0)
            {
                s = stack.Pop();
                _pooledBytes -= cls * sizeof(float);
            }
        }
        if (s == null) s = allocate(cls);
        else s.Revive();
        Interlocked.Add(ref _liveBytes, cls * sizeof(float));
        return s;
    }

    public void Return(TStorage s)
    {
        Interlocked.Add(ref _liveBytes, -s.Capacity * sizeof(float));
        lock (_gate)
        {
            if (!_free.TryGetValue(s.Capacity, out var stack)) _free[s.Capacity] = stack = new Stack<TStorage>();
            stack.Push(s);
            _pooledBytes += s.Capacity * sizeof(float);
        }
    }

    public void Trim()
    {
        lock (_gate)
        {
            foreach (var stack in _free.Values)
                while (stack.Count > 0) free(stack.Pop());
            _free.Clear();
            _pooledBytes = 0;
        }
    }
}

using HarFromScratch.Engine.Backends;

namespace HarFromScratch.Engine.Tensors;

/// <summary>
/// A flat float32 buffer owned by one backend. Reference counted because views (reshape) share it;
/// when the last holder releases it the buffer goes back to its backend's pool, not to the driver.
/// </summary>
public abstract class Storage
{
    private int _refs = 1;

    protected Storage(IBackend backend, long capacity)
    {
        Backend = backend;
        Capacity = capacity;
    }

    public IBackend Backend { get; }

    /// <summary>Number of floats the buffer holds (may exceed what a tensor uses: pools round sizes up).</summary>
    public long Capacity { get; }

    public bool IsReleased => Volatile.Read(ref _refs) <= 0;

    internal void Retain()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
            throw new ObjectDisposedException(nameof(Storage), "a released storage was used again");
    }

    internal void Release()
    {
        int r = Interlocked.Decrement(ref _refs);
        if (r == 0) Backend.Return(this);
        else if (r < 0) throw new ObjectDisposedException(nameof(Storage), "storage released twice");
    }

    /// <summary>Called by the pool when the buffer is handed out again.</summary>
    internal void Revive() => Volatile.Write(ref _refs, 1);
}

namespace HarFromScratch.Engine.Ops;

/// <summary>
/// Counts multiply-accumulates of the ops run while it is open on this thread (GEMM-like ops report theirs:
/// matmul, linear, convolution, recurrent layers, attention). Models report MACs per window by running one
/// window through <c>Forward</c> inside a counter, so every architecture is counted by one mechanism.
/// </summary>
public sealed class MacCounter : IDisposable
{
    [ThreadStatic] private static MacCounter? _current;
    private readonly MacCounter? _parent;

    private MacCounter(MacCounter? parent) => _parent = parent;

    public static MacCounter Begin() => _current = new MacCounter(_current);

    public long Total { get; private set; }

    /// <summary>Called by ops: adds <paramref name="macs"/> to every open counter.</summary>
    public static void Add(long macs)
    {
        for (var c = _current; c != null; c = c._parent) c.Total += macs;
    }

    public void Dispose()
    {
        if (_current == this) _current = _parent;
    }
}

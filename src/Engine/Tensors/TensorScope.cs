namespace HarFromScratch.Engine.Tensors;

/// <summary>
/// Ownership for training loops: every tensor created while a scope is open on this thread is disposed when
/// the scope ends (its storage returns to the device pool), except tensors passed to <see cref="Keep"/> or
/// <see cref="Tensor.Persist"/>. Scopes nest; a kept tensor moves to the enclosing scope, if any.
/// <code>
/// for (...) { using var step = TensorScope.Begin(); var loss = ...; loss.Backward(); opt.Step(); }
/// </code>
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;

    private readonly TensorScope? _parent;
    private readonly HashSet<Tensor> _owned = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    private TensorScope(TensorScope? parent) => _parent = parent;

    public static TensorScope Begin() => _current = new TensorScope(_current);

    /// <summary>Number of tensors this scope will dispose.</summary>
    public int Count => _owned.Count;

    internal static void Register(Tensor t) => _current?._owned.Add(t);

    internal static void Unregister(Tensor t)
    {
        for (var s = _current; s != null; s = s._parent)
            if (s._owned.Remove(t)) return;
    }

    /// <summary>Lets <paramref name="t"/> outlive this scope: it moves to the parent scope (or to the caller if none).</summary>
    public Tensor Keep(Tensor t)
    {
        if (_owned.Remove(t)) _parent?._owned.Add(t);
        return t;
    }

    /// <summary>Runs <paramref name="body"/> with tensors created outside of any scope (e.g. lazily created state).</summary>
    public static T Unscoped<T>(Func<T> body)
    {
        var saved = _current;
        _current = null;
        try { return body(); }
        finally { _current = saved; }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_current != this)
            throw new InvalidOperationException("TensorScope disposed out of order (scopes must nest)");
        _current = _parent;
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}

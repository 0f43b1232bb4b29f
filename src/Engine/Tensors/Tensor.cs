using System.Text;
using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Devices;

namespace HarFromScratch.Engine.Tensors;

/// <summary>
/// A float32 tensor: a contiguous row-major view (shape) onto a reference-counted <see cref="Storage"/> on a
/// <see cref="Device"/>, plus its autograd record (the node that produced it, its gradient).
/// Views that keep the layout contiguous (reshape, squeeze) share storage; permute/slice/concat copy.
/// Ownership: every tensor created inside a <see cref="TensorScope"/> is disposed when the scope ends unless
/// it was kept; tensors created outside any scope (parameters, optimiser state) live until disposed.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private Storage? _storage;

    internal Tensor(Storage storage, int[] shape, Device device, bool register = true)
    {
        _storage = storage;
        Shape = shape;
        Device = device;
        Numel = ShapeUtil.Numel(shape);
        if (storage.Capacity < Numel)
            throw new ArgumentException($"storage holds {storage.Capacity} floats, shape {ShapeUtil.Format(shape)} needs {Numel}");
        if (register) TensorScope.Register(this);
    }

    public int[] Shape { get; }
    public int Rank => Shape.Length;
    public long Numel { get; }
    public Device Device { get; private set; }
    internal IBackend Backend => Device.Backend;

    public Storage Storage => _storage ?? throw new ObjectDisposedException(nameof(Tensor),
        $"tensor {Name ?? ""}{ShapeUtil.Format(Shape)} was disposed (it belonged to a TensorScope that ended? use scope.Keep or Tensor.Persist)");

    public bool IsDisposed => _storage == null;

    /// <summary>Optional name (parameters carry their module path).</summary>
    public string? Name { get; set; }

    /// <summary>Whether gradients flow to this tensor. Set on leaves (parameters); computed on op results.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>Accumulated gradient of a leaf after <see cref="Backward"/>.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The op that produced this tensor and how to push gradients to its inputs (null for leaves).</summary>
    internal Node? GradFn { get; set; }

    public bool IsLeaf => GradFn == null;

    public int Size(int axis) => Shape[ShapeUtil.NormalizeAxis(axis, Rank, "Size")];

    /// <summary>Moves this tensor's data to another device in place (modules move their parameters this way).</summary>
    public void MoveTo(Device device)
    {
        if (device == Device) return;
        var data = ToArray();
        var fresh = device.Backend.Allocate(Math.Max(Numel, 1));
        device.Backend.Upload(data, fresh, 0);
        Storage.Release();
        _storage = fresh;
        Device = device;
        Grad?.MoveTo(device);
    }

    public void Dispose()
    {
        var s = Interlocked.Exchange(ref _storage, null);
        s?.Release();
        GradFn = null;
    }

    /// <summary>Removes this tensor from the current scope so it outlives it (the caller now owns it).</summary>
    public Tensor Persist()
    {
        TensorScope.Unregister(this);
        return this;
    }

    /// <summary>Runs reverse-mode differentiation from this scalar (or from <paramref name="gradient"/> for non-scalars).</summary>
    public void Backward(Tensor? gradient = null) => Backprop.Run(this, gradient);

    /// <summary>A tensor sharing storage but cut from the graph.</summary>
    public Tensor Detach()
    {
        Storage.Retain();
        return new Tensor(Storage, (int[])Shape.Clone(), Device);
    }

    public float[] ToArray()
    {
        var r = new float[Numel];
        Backend.Download(Storage, 0, r);
        return r;
    }

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs a one-element tensor, got shape {ShapeUtil.Format(Shape)}");
        Span<float> v = stackalloc float[1];
        Backend.Download(Storage, 0, v);
        return v[0];
    }

    /// <summary>Copies the values of <paramref name="src"/> (same shape) into this tensor, outside autograd.</summary>
    public void CopyFrom(Tensor src)
    {
        if (!ShapeUtil.SameShape(src.Shape, Shape))
            throw new ArgumentException($"CopyFrom: shape {ShapeUtil.Format(src.Shape)} into {ShapeUtil.Format(Shape)}");
        var s = src.Device == Device ? src : src.To(Device);
        Backend.Copy(s.Storage, 0, Storage, 0, Numel);
        if (!ReferenceEquals(s, src)) s.Dispose();
    }

    /// <summary>Copies host values into this tensor, outside autograd.</summary>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        if (values.Length != Numel) throw new ArgumentException($"CopyFrom: {values.Length} values into shape {ShapeUtil.Format(Shape)}");
        Backend.Upload(values, Storage, 0);
    }

    public override string ToString()
    {
        if (IsDisposed) return $"Tensor{ShapeUtil.Format(Shape)} <disposed>";
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(ShapeUtil.Format(Shape)).Append(" on ").Append(Device.Name);
        if (RequiresGrad) sb.Append(", requires_grad");
        if (GradFn != null) sb.Append(", grad_fn=").Append(GradFn.OpName);
        sb.Append('\n');
        var data = ToArray();
        Format(sb, data, 0, 0, 0);
        return sb.ToString();
    }

    private void Format(StringBuilder sb, float[] data, int axis, long offset, int indent)
    {
        const int edge = 3;
        if (Rank == 0) { sb.Append(data[0].ToString("G6")); return; }
        int n = Shape[axis];
        long stride = ShapeUtil.Numel(Shape.AsSpan(axis + 1));
        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (n > 2 * edge && i == edge) { sb.Append(axis == Rank - 1 ? "..., " : "...,\n" + new string(' ', indent + 1)); i = n - edge; }
            if (axis == Rank - 1) sb.Append(data[offset + i].ToString("G6"));
            else Format(sb, data, axis + 1, offset + i * stride, indent + 1);
            if (i < n - 1) sb.Append(axis == Rank - 1 ? ", " : ",\n" + new string(' ', indent + 1));
        }
        sb.Append(']');
    }
}

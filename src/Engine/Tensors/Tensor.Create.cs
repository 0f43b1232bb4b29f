using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;

namespace HarFromScratch.Engine.Tensors;

public sealed partial class Tensor
{
    /// <summary>An uninitialised tensor (every op that uses it writes all of it).</summary>
    internal static Tensor Empty(int[] shape, Device device)
    {
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"negative size in shape {ShapeUtil.Format(shape)}");
        long n = ShapeUtil.Numel(shape);
        return new Tensor(device.Backend.Allocate(Math.Max(n, 1)), shape, device);
    }

    public static Tensor Full(int[] shape, float value, Device? device = null)
    {
        var t = Empty((int[])shape.Clone(), device ?? Device.Default);
        t.Backend.Fill(t.Storage, 0, t.Numel, value);
        return t;
    }

    public static Tensor Zeros(params int[] shape) => Full(shape, 0f);
    public static Tensor Zeros(int[] shape, Device? device) => Full(shape, 0f, device);
    public static Tensor Ones(params int[] shape) => Full(shape, 1f);
    public static Tensor Ones(int[] shape, Device? device) => Full(shape, 1f, device);
    public static Tensor ZerosLike(Tensor t) => Full(t.Shape, 0f, t.Device);
    public static Tensor OnesLike(Tensor t) => Full(t.Shape, 1f, t.Device);

    /// <summary>A 0-d tensor holding one value.</summary>
    public static Tensor Scalar(float value, Device? device = null) => Full([], value, device);

    public static Tensor FromArray(float[] data, int[] shape, Device? device = null, bool requiresGrad = false)
    {
        if (ShapeUtil.Numel(shape) != data.Length)
            throw new ArgumentException($"FromArray: {data.Length} values do not fill shape {ShapeUtil.Format(shape)} ({ShapeUtil.Numel(shape)} elements)");
        var t = Empty((int[])shape.Clone(), device ?? Device.Default);
        t.Backend.Upload(data, t.Storage, 0);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    public static Tensor FromArray(float[] data) => FromArray(data, [data.Length]);

    /// <summary>Standard normal values from <paramref name="rng"/> (or the global seeded generator).</summary>
    public static Tensor Randn(int[] shape, Rng? rng = null, Device? device = null, float std = 1f, float mean = 0f)
    {
        rng ??= Rng.Global;
        var data = new float[ShapeUtil.Numel(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = mean + std * (float)rng.NextNormal();
        return FromArray(data, shape, device);
    }

    /// <summary>Uniform values in [low, high).</summary>
    public static Tensor Rand(int[] shape, Rng? rng = null, Device? device = null, float low = 0f, float high = 1f)
    {
        rng ??= Rng.Global;
        var data = new float[ShapeUtil.Numel(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = low + (high - low) * rng.NextFloat();
        return FromArray(data, shape, device);
    }

    /// <summary>start, start+step, ... below end.</summary>
    public static Tensor Arange(float start, float end, float step = 1f, Device? device = null)
    {
        if (step == 0 || (end - start) / step < 0) throw new ArgumentException($"Arange({start}, {end}, {step}) is empty or infinite");
        int n = (int)Math.Ceiling((end - start) / step);
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = start + i * step;
        return FromArray(data, [n], device);
    }

    /// <summary>A copy on <paramref name="device"/> (this tensor itself is returned when it is already there). Differentiable.</summary>
    public Tensor To(Device device)
    {
        if (device == Device) return this;
        var r = FromArray(ToArray(), Shape, device);
        var src = Device;
        return r.Record("to", [this], g => [g.To(src)]);
    }

    /// <summary>A contiguous copy with its own storage. Differentiable.</summary>
    public Tensor Clone()
    {
        var r = Empty((int[])Shape.Clone(), Device);
        Backend.Copy(Storage, 0, r.Storage, 0, Numel);
        return r.Record("clone", [this], g => [g]);
    }

    /// <summary>this += other, in place, outside autograd (gradient accumulation, optimiser state).</summary>
    internal void AddInPlace(Tensor other)
    {
        if (!ShapeUtil.SameShape(other.Shape, Shape))
            throw new ArgumentException($"AddInPlace: shape {ShapeUtil.Format(other.Shape)} into {ShapeUtil.Format(Shape)}");
        var strides = ShapeUtil.ContiguousStrides(Shape);
        Backend.Binary(Backends.BinaryOp.Add, Storage, strides, other.Storage, strides, Storage, Shape);
    }

    /// <summary>Marks the result of an op with its backward, when gradients are recorded and an input needs them.</summary>
    internal Tensor Record(string op, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        OpProfiler.ForwardDone(op);
        if (!GradMode.IsEnabled) return this;
        foreach (var i in inputs)
            if (i.RequiresGrad)
            {
                RequiresGrad = true;
                GradFn = new Node(op, inputs, backward);
                break;
            }
        return this;
    }

    internal static void SameDevice(string op, Tensor a, Tensor b)
    {
        if (a.Device != b.Device)
            throw new ArgumentException($"{op}: tensors on different devices ({a.Device.Name} and {b.Device.Name}); move one with To()");
    }
}

using HarFromScratch.Engine.Backends;

namespace HarFromScratch.Engine.Tensors;

/// <summary>Elementwise ops: unary functions (one backend derivative each) and broadcasting binary ops.</summary>
public sealed partial class Tensor
{
    /// <summary>Applies a unary function; its backward is the backend's matching derivative.</summary>
    public Tensor Apply(UnaryOp op, float a = 0, float b = 0)
    {
        var y = Empty((int[])Shape.Clone(), Device);
        Backend.Unary(op, Storage, y.Storage, Numel, a, b);
        var x = this;
        return y.Record(op.ToString().ToLowerInvariant(), [x], g =>
        {
            var dx = Empty((int[])x.Shape.Clone(), x.Device);
            x.Backend.UnaryBackward(op, x.Storage, y.Storage, g.Storage, dx.Storage, x.Numel, a, b);
            return [dx];
        });
    }

    public Tensor Neg() => Apply(UnaryOp.Neg);
    public Tensor Exp() => Apply(UnaryOp.Exp);
    public Tensor Log() => Apply(UnaryOp.Log);
    public Tensor Log1p() => Apply(UnaryOp.Log1p);
    public Tensor Sqrt() => Apply(UnaryOp.Sqrt);
    public Tensor Abs() => Apply(UnaryOp.Abs);
    public Tensor Square() => Apply(UnaryOp.Square);
    public Tensor Reciprocal() => Apply(UnaryOp.Reciprocal);
    public Tensor Sin() => Apply(UnaryOp.Sin);
    public Tensor Cos() => Apply(UnaryOp.Cos);
    public Tensor Relu() => Apply(UnaryOp.Relu);
    public Tensor Sigmoid() => Apply(UnaryOp.Sigmoid);
    public Tensor Tanh() => Apply(UnaryOp.Tanh);
    public Tensor Clamp(float min, float max) => Apply(UnaryOp.Clamp, min, max);
    public Tensor Pow(float exponent) => Apply(UnaryOp.PowScalar, exponent);
    public Tensor Sign() => Apply(UnaryOp.Sign);

    /// <summary>Applies a binary op with NumPy broadcasting; gradients are summed back to each input's shape.</summary>
    public static Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        SameDevice(op.ToString(), a, b);
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape, op.ToString());
        var y = Empty(shape, a.Device);
        a.Backend.Binary(op, a.Storage, ShapeUtil.BroadcastStrides(a.Shape, shape), b.Storage, ShapeUtil.BroadcastStrides(b.Shape, shape), y.Storage, shape);
        if (op is BinaryOp.Equal or BinaryOp.Greater) return y; // masks carry no gradient
        return y.Record(op.ToString().ToLowerInvariant(), [a, b], g => BinaryBackward(op, a, b, y, g));
    }

    private static Tensor?[] BinaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor y, Tensor g)
    {
        Tensor? ga = null, gb = null;
        switch (op)
        {
            case BinaryOp.Add:
                if (a.RequiresGrad) ga = g.SumTo(a.Shape);
                if (b.RequiresGrad) gb = g.SumTo(b.Shape);
                break;
            case BinaryOp.Sub:
                if (a.RequiresGrad) ga = g.SumTo(a.Shape);
                if (b.RequiresGrad) gb = g.Neg().SumTo(b.Shape);
                break;
            case BinaryOp.Mul:
                if (a.RequiresGrad) ga = (g * b).SumTo(a.Shape);
                if (b.RequiresGrad) gb = (g * a).SumTo(b.Shape);
                break;
            case BinaryOp.Div:
                if (a.RequiresGrad) ga = (g / b).SumTo(a.Shape);
                if (b.RequiresGrad) gb = (g * y / b).Neg().SumTo(b.Shape);
                break;
            case BinaryOp.Pow:
                if (a.RequiresGrad) ga = (g * b * Binary(BinaryOp.Pow, a, b - 1f)).SumTo(a.Shape);
                if (b.RequiresGrad) gb = (g * y * a.Log()).SumTo(b.Shape);
                break;
            case BinaryOp.Maximum:
            case BinaryOp.Minimum:
            {
                // Ties split the gradient evenly, as PyTorch does.
                // wa = 1 where a wins: a > b for Maximum, b > a for Minimum.
                var (hi, lo) = op == BinaryOp.Maximum ? (a, b) : (b, a);
                var wa = Binary(BinaryOp.Greater, hi, lo) + Binary(BinaryOp.Equal, a, b) * 0.5f;
                if (a.RequiresGrad) ga = (g * wa).SumTo(a.Shape);
                if (b.RequiresGrad) gb = (g * (1f - wa)).SumTo(b.Shape);
                break;
            }
            default:
                throw new NotSupportedException($"no gradient for {op}");
        }
        return [ga, gb];
    }

    public static Tensor operator +(Tensor a, Tensor b) => Binary(BinaryOp.Add, a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Binary(BinaryOp.Sub, a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Binary(BinaryOp.Mul, a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Binary(BinaryOp.Div, a, b);
    public static Tensor operator -(Tensor a) => a.Neg();

    public static Tensor operator +(Tensor a, float s) => a.Apply(UnaryOp.Affine, 1f, s);
    public static Tensor operator +(float s, Tensor a) => a.Apply(UnaryOp.Affine, 1f, s);
    public static Tensor operator -(Tensor a, float s) => a.Apply(UnaryOp.Affine, 1f, -s);
    public static Tensor operator -(float s, Tensor a) => a.Apply(UnaryOp.Affine, -1f, s);
    public static Tensor operator *(Tensor a, float s) => a.Apply(UnaryOp.Affine, s, 0f);
    public static Tensor operator *(float s, Tensor a) => a.Apply(UnaryOp.Affine, s, 0f);
    public static Tensor operator /(Tensor a, float s) => a.Apply(UnaryOp.Affine, 1f / s, 0f);
    public static Tensor operator /(float s, Tensor a) => a.Reciprocal() * s;

    public Tensor Pow(Tensor exponent) => Binary(BinaryOp.Pow, this, exponent);
    public static Tensor Maximum(Tensor a, Tensor b) => Binary(BinaryOp.Maximum, a, b);
    public static Tensor Minimum(Tensor a, Tensor b) => Binary(BinaryOp.Minimum, a, b);
    /// <summary>1 where equal else 0 (no gradient).</summary>
    public static Tensor EqualMask(Tensor a, Tensor b) => Binary(BinaryOp.Equal, a, b);
    /// <summary>1 where a &gt; b else 0 (no gradient).</summary>
    public static Tensor GreaterMask(Tensor a, Tensor b) => Binary(BinaryOp.Greater, a, b);
}

namespace HarFromScratch.Engine.Backends;

/// <summary>
/// Elementwise functions of one input. Parameters <c>a</c>/<c>b</c> are op-specific (documented per member).
/// Every backend implements all of them, forward and derivative, so adding one here is the whole job of
/// adding an activation (plus the op's gradcheck test).
/// </summary>
public enum UnaryOp
{
    Neg, Exp, Log, Sqrt, Abs, Square, Reciprocal, Log1p, Sin, Cos,
    Relu, Sigmoid, Tanh,
    /// <summary>clamp(x, a, b).</summary>
    Clamp,
    /// <summary>x^a.</summary>
    PowScalar,
    /// <summary>a*x + b.</summary>
    Affine,
    /// <summary>min(max(x, 0), 6).</summary>
    Relu6,
    /// <summary>x if x &gt; 0 else a*x.</summary>
    LeakyRelu,
    /// <summary>x if x &gt; 0 else a*(exp(x)-1).</summary>
    Elu,
    Selu,
    /// <summary>GELU, tanh approximation (as PyTorch's approximate='tanh').</summary>
    Gelu,
    Silu,
    Hardswish,
    Hardsigmoid,
    /// <summary>sign(x); derivative 0.</summary>
    Sign,
    /// <summary>1 if x &gt; 0 else 0; derivative 0.</summary>
    Step,
}

/// <summary>Elementwise functions of two (broadcast) inputs.</summary>
public enum BinaryOp
{
    Add, Sub, Mul, Div, Pow, Maximum, Minimum,
    /// <summary>1 where a == b else 0 (not differentiable).</summary>
    Equal,
    /// <summary>1 where a &gt; b else 0 (not differentiable).</summary>
    Greater,
}

public enum ReduceOp { Sum, Max, Min }

/// <summary>
/// Row-major batched GEMM: C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b], op = transpose when the flag is set.
/// A is M x K (stored K x M when TransA), B is K x N (stored N x K when TransB), C is M x N.
/// Leading dimensions are the row lengths as stored. A batch stride of 0 broadcasts that operand.
/// When Beta is 0, C is not read (its contents may be garbage).
/// </summary>
public readonly record struct GemmArgs(
    int Batch, int M, int N, int K, float Alpha, float Beta,
    Tensors.Storage A, long OffsetA, long BatchStrideA, int Lda, bool TransA,
    Tensors.Storage B, long OffsetB, long BatchStrideB, int Ldb, bool TransB,
    Tensors.Storage C, long OffsetC, long BatchStrideC, int Ldc);

/// <summary>A strided window onto a storage, used by general copies (permute, slice, concat, expand).</summary>
public readonly record struct StridedView(Tensors.Storage Storage, long Offset, long[] Strides);

/// <summary>Hyper-parameters of one fused Adam/AdamW update.</summary>
public readonly record struct AdamArgs(float Lr, float Beta1, float Beta2, float Eps, float WeightDecay, bool Decoupled, int Step);

/// <summary>Hyper-parameters of one fused SGD update.</summary>
public readonly record struct SgdArgs(float Lr, float Momentum, float Dampening, float WeightDecay, bool Nesterov, bool FirstStep);

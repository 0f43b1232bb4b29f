namespace HarFromScratch.Engine.Backends;

/// <summary>
/// The scalar definition of every elementwise function and its derivative. The ILGPU kernels call these very
/// methods (ILGPU compiles them), and the cpu backend uses them wherever it has no vectorised form, so both
/// backends share one definition of the maths.
/// </summary>
public static class ElementwiseMath
{
    private const float SeluAlpha = 1.6732632423543772f;
    private const float SeluScale = 1.0507009873554805f;
    private const float GeluC = 0.7978845608028654f; // sqrt(2/pi)

    public static float Unary(UnaryOp op, float x, float a, float b)
    {
        switch (op)
        {
            case UnaryOp.Neg: return -x;
            case UnaryOp.Exp: return MathF.Exp(x);
            case UnaryOp.Log: return MathF.Log(x);
            case UnaryOp.Sqrt: return MathF.Sqrt(x);
            case UnaryOp.Abs: return MathF.Abs(x);
            case UnaryOp.Square: return x * x;
            case UnaryOp.Reciprocal: return 1f / x;
            case UnaryOp.Log1p: return Log1p(x);
            case UnaryOp.Sin: return MathF.Sin(x);
            case UnaryOp.Cos: return MathF.Cos(x);
            case UnaryOp.Relu: return x > 0f ? x : 0f;
            case UnaryOp.Sigmoid: return Sigmoid(x);
            case UnaryOp.Tanh: return MathF.Tanh(x);
            case UnaryOp.Clamp: return x < a ? a : (x > b ? b : x);
            case UnaryOp.PowScalar: return MathF.Pow(x, a);
            case UnaryOp.Affine: return a * x + b;
            case UnaryOp.Relu6: return x < 0f ? 0f : (x > 6f ? 6f : x);
            case UnaryOp.LeakyRelu: return x > 0f ? x : a * x;
            case UnaryOp.Elu: return x > 0f ? x : a * (MathF.Exp(x) - 1f);
            case UnaryOp.Selu: return SeluScale * (x > 0f ? x : SeluAlpha * (MathF.Exp(x) - 1f));
            case UnaryOp.Gelu: return 0.5f * x * (1f + MathF.Tanh(GeluC * (x + 0.044715f * x * x * x)));
            case UnaryOp.Silu: return x * Sigmoid(x);
            case UnaryOp.Hardswish: return x * Hardsigmoid(x);
            case UnaryOp.Hardsigmoid: return Hardsigmoid(x);
            case UnaryOp.Sign: return x > 0f ? 1f : (x < 0f ? -1f : 0f);
            case UnaryOp.Step: return x > 0f ? 1f : 0f;
            default: return 0f;
        }
    }

    /// <summary>f'(x), given x and y = f(x).</summary>
    public static float UnaryDerivative(UnaryOp op, float x, float y, float a, float b)
    {
        switch (op)
        {
            case UnaryOp.Neg: return -1f;
            case UnaryOp.Exp: return y;
            case UnaryOp.Log: return 1f / x;
            case UnaryOp.Sqrt: return 0.5f / y;
            case UnaryOp.Abs: return x > 0f ? 1f : (x < 0f ? -1f : 0f);
            case UnaryOp.Square: return 2f * x;
            case UnaryOp.Reciprocal: return -y * y;
            case UnaryOp.Log1p: return 1f / (1f + x);
            case UnaryOp.Sin: return MathF.Cos(x);
            case UnaryOp.Cos: return -MathF.Sin(x);
            case UnaryOp.Relu: return x > 0f ? 1f : 0f;
            case UnaryOp.Sigmoid: return y * (1f - y);
            case UnaryOp.Tanh: return 1f - y * y;
            case UnaryOp.Clamp: return x >= a && x <= b ? 1f : 0f;
            case UnaryOp.PowScalar: return a * MathF.Pow(x, a - 1f);
            case UnaryOp.Affine: return a;
            case UnaryOp.Relu6: return x > 0f && x < 6f ? 1f : 0f;
            case UnaryOp.LeakyRelu: return x > 0f ? 1f : a;
            case UnaryOp.Elu: return x > 0f ? 1f : a * MathF.Exp(x);
            case UnaryOp.Selu: return x > 0f ? SeluScale : SeluScale * SeluAlpha * MathF.Exp(x);
            case UnaryOp.Gelu:
            {
                float inner = GeluC * (x + 0.044715f * x * x * x);
                float t = MathF.Tanh(inner);
                return 0.5f * (1f + t) + 0.5f * x * (1f - t * t) * GeluC * (1f + 3f * 0.044715f * x * x);
            }
            case UnaryOp.Silu: { float s = Sigmoid(x); return s * (1f + x * (1f - s)); }
            case UnaryOp.Hardswish: return x < -3f ? 0f : (x > 3f ? 1f : (2f * x + 3f) / 6f);
            case UnaryOp.Hardsigmoid: return x > -3f && x < 3f ? 1f / 6f : 0f;
            default: return 0f; // Sign, Step
        }
    }

    public static float Binary(BinaryOp op, float a, float b)
    {
        switch (op)
        {
            case BinaryOp.Add: return a + b;
            case BinaryOp.Sub: return a - b;
            case BinaryOp.Mul: return a * b;
            case BinaryOp.Div: return a / b;
            case BinaryOp.Pow: return MathF.Pow(a, b);
            case BinaryOp.Maximum: return a > b ? a : b;
            case BinaryOp.Minimum: return a < b ? a : b;
            case BinaryOp.Equal: return a == b ? 1f : 0f;
            case BinaryOp.Greater: return a > b ? 1f : 0f;
            default: return 0f;
        }
    }

    public static float Sigmoid(float x) => x >= 0f ? 1f / (1f + MathF.Exp(-x)) : MathF.Exp(x) / (1f + MathF.Exp(x));

    public static float Hardsigmoid(float x) => x <= -3f ? 0f : (x >= 3f ? 1f : x / 6f + 0.5f);

    /// <summary>log(1+x), accurate for small x (MathF has no Log1p).</summary>
    public static float Log1p(float x)
    {
        float u = 1f + x;
        return u == 1f ? x : MathF.Log(u) * x / (u - 1f);
    }
}

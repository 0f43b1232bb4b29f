namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>
/// Shape and two sets of strides (operands A and B) of a walk over up to <see cref="MaxRank"/> axes, passed to
/// kernels by value. Axis 0 here is the innermost (fastest) axis; unused axes have size 1 and stride 0.
/// A thread turns its linear output index into the two operand offsets with <see cref="Offsets"/>.
/// </summary>
public struct StridedIndex
{
    public const int MaxRank = 8;

    public int Rank;
    public int D0, D1, D2, D3, D4, D5, D6, D7;
    public long A0, A1, A2, A3, A4, A5, A6, A7;
    public long B0, B1, B2, B3, B4, B5, B6, B7;
    public long OffsetA, OffsetB;

    /// <summary>
    /// Builds the index from a row-major shape (outermost first) and strides (callers coalesce first).
    /// Throws <see cref="ArgumentException"/> above <see cref="MaxRank"/> axes.
    /// </summary>
    public static StridedIndex Create(int[] shape, long[] stridesA, long offsetA, long[] stridesB, long offsetB, string op)
    {
        int rank = shape.Length;
        if (rank > MaxRank)
            throw new ArgumentException($"{op}: the ILGPU kernels take at most {MaxRank} axes after merging contiguous ones, got {rank} (shape {Tensors.ShapeUtil.Format(shape)})");
        var d = new int[MaxRank];
        var a = new long[MaxRank];
        var b = new long[MaxRank];
        for (int i = 0; i < MaxRank; i++) d[i] = 1;
        for (int i = 0; i < rank; i++)
        {
            int k = rank - 1 - i; // innermost first
            d[i] = shape[k];
            a[i] = stridesA[k];
            b[i] = stridesB[k];
        }
        return new StridedIndex
        {
            Rank = rank,
            D0 = d[0], D1 = d[1], D2 = d[2], D3 = d[3], D4 = d[4], D5 = d[5], D6 = d[6], D7 = d[7],
            A0 = a[0], A1 = a[1], A2 = a[2], A3 = a[3], A4 = a[4], A5 = a[5], A6 = a[6], A7 = a[7],
            B0 = b[0], B1 = b[1], B2 = b[2], B3 = b[3], B4 = b[4], B5 = b[5], B6 = b[6], B7 = b[7],
            OffsetA = offsetA, OffsetB = offsetB,
        };
    }

    /// <summary>Offsets of the element with row-major linear index <paramref name="linear"/> in A and in B.</summary>
    public readonly void Offsets(long linear, out long oa, out long ob)
    {
        oa = OffsetA;
        ob = OffsetB;
        long rem = linear, c;
        // once the remaining index is 0 every outer coordinate is 0: stop early (always before unused axes)
        c = rem % D0; rem /= D0; oa += c * A0; ob += c * B0; if (rem == 0) return;
        c = rem % D1; rem /= D1; oa += c * A1; ob += c * B1; if (rem == 0) return;
        c = rem % D2; rem /= D2; oa += c * A2; ob += c * B2; if (rem == 0) return;
        c = rem % D3; rem /= D3; oa += c * A3; ob += c * B3; if (rem == 0) return;
        c = rem % D4; rem /= D4; oa += c * A4; ob += c * B4; if (rem == 0) return;
        c = rem % D5; rem /= D5; oa += c * A5; ob += c * B5; if (rem == 0) return;
        c = rem % D6; rem /= D6; oa += c * A6; ob += c * B6; if (rem == 0) return;
        c = rem % D7; oa += c * A7; ob += c * B7;
    }
}

namespace HarFromScratch.Engine.Tensors;

/// <summary>Shape arithmetic shared by ops and backends: element counts, strides, broadcasting, axis normalisation.</summary>
public static class ShapeUtil
{
    public static long Numel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    /// <summary>Row-major (C-contiguous) strides.</summary>
    public static long[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    public static string Format(ReadOnlySpan<int> shape) => "(" + string.Join(", ", shape.ToArray()) + ")";

    /// <summary>NumPy broadcasting of two shapes; throws with both shapes named when they are incompatible.</summary>
    public static int[] Broadcast(int[] a, int[] b, string op = "broadcast")
    {
        int n = Math.Max(a.Length, b.Length);
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i - (n - a.Length) >= 0 ? a[i - (n - a.Length)] : 1;
            int db = i - (n - b.Length) >= 0 ? b[i - (n - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast (axis {i}: {da} vs {db})");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    /// <summary>Strides that read a tensor of <paramref name="shape"/> as if expanded to <paramref name="outShape"/> (0 on broadcast axes).</summary>
    public static long[] BroadcastStrides(int[] shape, int[] outShape)
    {
        var strides = ContiguousStrides(shape);
        var r = new long[outShape.Length];
        int off = outShape.Length - shape.Length;
        for (int i = 0; i < outShape.Length; i++)
        {
            int j = i - off;
            r[i] = j < 0 || shape[j] == 1 ? 0 : strides[j];
        }
        return r;
    }

    public static int NormalizeAxis(int axis, int rank, string op = "op")
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.Max(rank, 1))
            throw new ArgumentOutOfRangeException(nameof(axis), $"{op}: axis {axis} is out of range for a tensor of rank {rank}");
        return a;
    }

    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>
    /// Merges adjacent axes that can be walked as one (for every operand, stride[i] == stride[i+1] * size[i+1]),
    /// and drops size-1 axes. Strided loops then run over as few, as long, inner rows as possible.
    /// </summary>
    public static (int[] shape, long[][] strides) Coalesce(int[] shape, params long[][] strides)
    {
        var outShape = new List<int>();
        var outStrides = strides.Select(_ => new List<long>()).ToArray();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            int last = outShape.Count - 1;
            bool merge = last >= 0;
            if (merge)
                for (int k = 0; k < strides.Length; k++)
                    if (outStrides[k][last] != strides[k][i] * shape[i]) { merge = false; break; }
            if (merge)
            {
                outShape[last] *= shape[i];
                for (int k = 0; k < strides.Length; k++) outStrides[k][last] = strides[k][i];
            }
            else
            {
                outShape.Add(shape[i]);
                for (int k = 0; k < strides.Length; k++) outStrides[k].Add(strides[k][i]);
            }
        }
        if (outShape.Count == 0)
        {
            outShape.Add(1);
            foreach (var s in outStrides) s.Add(0);
        }
        return (outShape.ToArray(), outStrides.Select(s => s.ToArray()).ToArray());
    }
}

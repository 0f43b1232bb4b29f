namespace HarFromScratch.Engine.Backends.Cpu;

/// <summary>
/// Walks the rows (all axes but the last) of a strided shape for up to three operands, keeping their offsets
/// by addition: one division-free step per row instead of decomposing every row index (which cost ~30 ns a row,
/// more than the work on short rows).
/// </summary>
internal struct RowOdometer
{
    private readonly int[] _shape;
    private readonly long[] _s0, _s1;
    private readonly int[] _idx;
    public long Offset0, Offset1;

    public RowOdometer(int[] shape, long[] strides0, long[] strides1, long firstRow)
    {
        _shape = shape; _s0 = strides0; _s1 = strides1;
        _idx = new int[Math.Max(shape.Length - 1, 0)];
        long rem = firstRow;
        Offset0 = Offset1 = 0;
        for (int d = shape.Length - 2; d >= 0; d--)
        {
            int i = (int)(rem % shape[d]); rem /= shape[d];
            _idx[d] = i;
            Offset0 += i * strides0[d]; Offset1 += i * strides1[d];
        }
    }

    public void Next()
    {
        for (int d = _idx.Length - 1; d >= 0; d--)
        {
            Offset0 += _s0[d]; Offset1 += _s1[d];
            if (++_idx[d] < _shape[d]) return;
            Offset0 -= _s0[d] * _shape[d]; Offset1 -= _s1[d] * _shape[d];
            _idx[d] = 0;
        }
    }
}

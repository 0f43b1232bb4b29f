using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends.Cpu;

/// <summary>
/// The managed SIMD backend: pinned float arrays, TensorPrimitives and Vector512 loops, Parallel.For over the
/// cores. Synchronous, deterministic (every output element is produced by one thread in a fixed order).
/// </summary>
public sealed unsafe partial class CpuBackend : IBackend
{
    private readonly BufferPool<CpuStorage> _pool;

    public CpuBackend() => _pool = new BufferPool<CpuStorage>(n => new CpuStorage(this, n), _ => { });

    public string Name => "cpu";

    internal static CpuStorage S(Storage s) => s as CpuStorage
        ?? throw new ArgumentException($"cpu backend got a storage of {s.Backend.Name}; move the tensor with To(Device.Cpu)");

    public Storage Allocate(long length) => _pool.Rent(length);
    public void Return(Storage storage) => _pool.Return(S(storage));
    public (long liveBytes, long pooledBytes) MemoryStats => (_pool.LiveBytes, _pool.PooledBytes);
    public void TrimPool() => _pool.Trim();
    public void Synchronize() { }
    public void Dispose() => _pool.Trim();

    public void Fill(Storage dst, long offset, long length, float value) => S(dst).Span(offset, length).Fill(value);
    public void Upload(ReadOnlySpan<float> src, Storage dst, long offset) => src.CopyTo(S(dst).Span(offset, src.Length));
    public void Download(Storage src, long offset, Span<float> dst) => S(src).Span(offset, dst.Length).CopyTo(dst);

    public void Copy(Storage src, long srcOffset, Storage dst, long dstOffset, long length) =>
        S(src).Span(srcOffset, length).CopyTo(S(dst).Span(dstOffset, length)); // spans check their bounds

    public void StridedCopy(StridedView src, StridedView dst, int[] shape)
    {
        BackendChecks.CheckView(src, shape, "StridedCopy source");
        BackendChecks.CheckView(dst, shape, "StridedCopy destination");
        var (sh, st) = ShapeUtil.Coalesce(shape, src.Strides, dst.Strides);
        float* ps = S(src.Storage).Ptr + src.Offset, pd = S(dst.Storage).Ptr + dst.Offset;
        long[] ss = st[0], ds = st[1];
        int rank = sh.Length, inner = sh[^1];
        long innerS = ss[^1], innerD = ds[^1];
        long rows = ShapeUtil.Numel(sh) / inner;
        CpuParallel.For(rows, Math.Max(1, 32768 / Math.Max(inner, 1)), (r0, r1) =>
        {
            var walk = new RowOdometer(sh, ss, ds, r0);
            for (long row = r0; row < r1; row++, walk.Next())
            {
                float* s = ps + walk.Offset0, t = pd + walk.Offset1;
                if (innerS == 1 && innerD == 1) new ReadOnlySpan<float>(s, inner).CopyTo(new Span<float>(t, inner));
                else if (innerS == 0 && innerD == 1) new Span<float>(t, inner).Fill(*s);
                else for (int i = 0; i < inner; i++) t[i * innerD] = s[i * innerS];
            }
        });
    }
}

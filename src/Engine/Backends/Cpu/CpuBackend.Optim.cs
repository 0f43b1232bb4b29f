using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void AdamStep(Storage param, Storage grad, Storage m, Storage v, long n, in AdamArgs h)
    {
        float* p = S(param).Ptr, g = S(grad).Ptr, pm = S(m).Ptr, pv = S(v).Ptr;
        var args = h;
        CpuParallel.For(n, 1 << 16, (s, e) =>
        {
            for (long i = s; i < e; i++) OptimMath.Adam(ref p[i], g[i], ref pm[i], ref pv[i], args);
        });
    }

    public void SgdStep(Storage param, Storage grad, Storage momentum, long n, in SgdArgs h)
    {
        float* p = S(param).Ptr, g = S(grad).Ptr, b = S(momentum).Ptr;
        var args = h;
        CpuParallel.For(n, 1 << 16, (s, e) =>
        {
            for (long i = s; i < e; i++) OptimMath.Sgd(ref p[i], g[i], ref b[i], args);
        });
    }
}

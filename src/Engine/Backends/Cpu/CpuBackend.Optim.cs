using System.Runtime.Intrinsics;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void AdamStep(Storage param, Storage grad, Storage m, Storage v, long n, in AdamArgs h)
    {
        float* p = S(param).Ptr, g = S(grad).Ptr, pm = S(m).Ptr, pv = S(v).Ptr;
        var args = h;
        float bc1 = OptimMath.BiasCorrection(h.Beta1, h.Step), bc2 = OptimMath.BiasCorrection(h.Beta2, h.Step);
        CpuParallel.For(n, 1 << 16, (s, e) =>
        {
            long i = s;
            if (Vector256.IsHardwareAccelerated)
            {
                // OptimMath.Adam's arithmetic, operation for operation (no fused multiply-adds): same bits as the scalar form
                var lr = Vector256.Create(args.Lr); var wd = Vector256.Create(args.WeightDecay); var eps = Vector256.Create(args.Eps);
                var b1 = Vector256.Create(args.Beta1); var b2 = Vector256.Create(args.Beta2);
                var c1 = Vector256.Create(1f - args.Beta1); var c2 = Vector256.Create(1f - args.Beta2);
                var vbc1 = Vector256.Create(bc1); var vbc2 = Vector256.Create(bc2);
                bool decay = args.WeightDecay != 0f, decoupled = args.Decoupled;
                for (; i + 8 <= e; i += 8)
                {
                    var pp = Vector256.Load(p + i); var gg = Vector256.Load(g + i);
                    if (decay)
                    {
                        if (decoupled) pp -= lr * wd * pp;
                        else gg += wd * pp;
                    }
                    var mm = b1 * Vector256.Load(pm + i) + c1 * gg;
                    var vv = b2 * Vector256.Load(pv + i) + c2 * gg * gg;
                    pp -= lr * (mm / vbc1) / (Vector256.Sqrt(vv / vbc2) + eps);
                    mm.Store(pm + i); vv.Store(pv + i); pp.Store(p + i);
                }
            }
            for (; i < e; i++) OptimMath.Adam(ref p[i], g[i], ref pm[i], ref pv[i], args, bc1, bc2);
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

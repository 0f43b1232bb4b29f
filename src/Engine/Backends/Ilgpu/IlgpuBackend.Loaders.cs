// Kernel loaders: one overload per parameter count (generated; extend the ranges if a kernel needs more).
using ILGPU;
using ILGPU.Runtime;

namespace HarFromScratch.Engine.Backends.Ilgpu;

public sealed partial class IlgpuBackend
{
    // Usage in a family file:
    //   private Action<Index1D, long, ArrayView<float>, float>? _myKernel;           // one slot per kernel
    //   K(ref _myKernel, MyKernels.Scale)(Extent(n), Extent(n).X, View(x), 2f);     // compiled on first use
    // The slot fixes the delegate type, so C# infers every type argument and the method group converts.

    /// <summary>Loads (once) an implicitly grouped kernel with 1 parameter(s) after its index; launches on the default stream.</summary>
    internal Action<Index1D, T1> K<T1>(ref Action<Index1D, T1>? slot, Action<Index1D, T1> kernel) where T1 : struct
        => slot ??= Accelerator.LoadAutoGroupedStreamKernel(kernel);

    /// <summary>Loads (once) an implicitly grouped kernel with 2 parameter(s) after its index; launches on the default stream.</summary>
    internal Action<Index1D, T1, T2> K<T1, T2>(ref Action<Index1D, T1, T2>? slot, Action<Index1D, T1, T2> kernel) where T1 : struct where T2 : struct
        => slot ??= Accelerator.LoadAutoGroupedStreamKernel(kernel);

    /// <summary>Loads (once) an implicitly grouped kernel with 3 parameter(s) after its index; launches on the default stream.</summary>
    internal Action<Index1D, T1, T2, T3> K<T1, T2, T3>(ref Action<Index1D, T1, T2, T3>? slot, Action<Index1D, T1, T2, T3> kernel) where T1 : struct where T2 : struct where T3 : struct
        => slot ??= Accelerator.LoadAutoGroupedStreamKernel(kernel);

    /// <summary>Loads (once) an implicitly grouped kernel with 4 parameter(s) after its index; launches on the default stream.</summary>
    internal Action<Index1D, T1, T2, T3, T4> K<T1, T2, T3, T4>(ref Action<Index1D, T1, T2, T3, T4>? slot, Action<Index1D, T1, T2, T3, T4> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct
        => slot ??= Accelerator.LoadAutoGroupedStreamKernel(kernel);

    /// <summary>Loads (once) an implicitly grouped kernel with 5 parameter(s) after its index; launches on the default stream.</summary>
    internal Action<Index1D, T1, T2, T3, T4, T5> K<T1, T2, T3, T4, T5>(ref Action<Index1D, T1, T2, T3, T4, T5>? slot, Action<Index1D, T1, T2, T3, T4, T5> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct
        => slot ??= Accelerator.LoadAutoGroupedStreamKernel(kernel);

    /// <summary>Loads (once) an implicitly grouped kernel with 6 parameter(s) after its index; launches on the default stream.</summary>
    internal Action<Index1D, T1, T2, T3, T4, T5, T6> K<T1, T2, T3, T4, T5, T6>(ref Action<Index1D, T1, T2, T3, T4, T5, T6>? slot, Action<Index1D, T1, T2, T3, T4, T5, T6> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct
        => slot ??= Accelerator.LoadAutoGroupedStreamKernel(kernel);

    /// <summary>Loads (once) an implicitly grouped kernel with 7 parameter(s) after its index; launches on the default stream.</summary>
    internal Action<Index1D, T1, T2, T3, T4, T5, T6, T7> K<T1, T2, T3, T4, T5, T6, T7>(ref Action<Index1D, T1, T2, T3, T4, T5, T6, T7>? slot, Action<Index1D, T1, T2, T3, T4, T5, T6, T7> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct
        => slot ??= Accelerator.LoadAutoGroupedStreamKernel(kernel);

    /// <summary>Loads (once) an implicitly grouped kernel with 8 parameter(s) after its index; launches on the default stream.</summary>
    internal Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8> K<T1, T2, T3, T4, T5, T6, T7, T8>(ref Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8>? slot, Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct
        => slot ??= Accelerator.LoadAutoGroupedStreamKernel(kernel);

    /// <summary>Loads (once) an implicitly grouped kernel with 9 parameter(s) after its index; launches on the default stream.</summary>
    internal Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9> K<T1, T2, T3, T4, T5, T6, T7, T8, T9>(ref Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9>? slot, Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct
        => slot ??= Accelerator.LoadAutoGroupedStreamKernel(kernel);

    /// <summary>Loads (once) an implicitly grouped kernel with 10 parameter(s) after its index; launches on the default stream.</summary>
    internal Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> K<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(ref Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>? slot, Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct
        => slot ??= Accelerator.LoadAutoGroupedStreamKernel(kernel);

    /// <summary>Loads (once) an implicitly grouped kernel with 11 parameter(s) after its index; launches on the default stream.</summary>
    internal Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> K<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(ref Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>? slot, Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct
        => slot ??= Accelerator.LoadAutoGroupedStreamKernel(kernel);

    /// <summary>Loads (once) an implicitly grouped kernel with 12 parameter(s) after its index; launches on the default stream.</summary>
    internal Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> K<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(ref Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>? slot, Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct where T12 : struct
        => slot ??= Accelerator.LoadAutoGroupedStreamKernel(kernel);

    /// <summary>Loads (once) an explicitly grouped kernel with 1 parameter(s); launched with a KernelConfig on the default stream.</summary>
    internal Action<KernelConfig, T1> KG<T1>(ref Action<KernelConfig, T1>? slot, Action<T1> kernel) where T1 : struct
        => slot ??= Accelerator.LoadStreamKernel(kernel);

    /// <summary>Loads (once) an explicitly grouped kernel with 2 parameter(s); launched with a KernelConfig on the default stream.</summary>
    internal Action<KernelConfig, T1, T2> KG<T1, T2>(ref Action<KernelConfig, T1, T2>? slot, Action<T1, T2> kernel) where T1 : struct where T2 : struct
        => slot ??= Accelerator.LoadStreamKernel(kernel);

    /// <summary>Loads (once) an explicitly grouped kernel with 3 parameter(s); launched with a KernelConfig on the default stream.</summary>
    internal Action<KernelConfig, T1, T2, T3> KG<T1, T2, T3>(ref Action<KernelConfig, T1, T2, T3>? slot, Action<T1, T2, T3> kernel) where T1 : struct where T2 : struct where T3 : struct
        => slot ??= Accelerator.LoadStreamKernel(kernel);

    /// <summary>Loads (once) an explicitly grouped kernel with 4 parameter(s); launched with a KernelConfig on the default stream.</summary>
    internal Action<KernelConfig, T1, T2, T3, T4> KG<T1, T2, T3, T4>(ref Action<KernelConfig, T1, T2, T3, T4>? slot, Action<T1, T2, T3, T4> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct
        => slot ??= Accelerator.LoadStreamKernel(kernel);

    /// <summary>Loads (once) an explicitly grouped kernel with 5 parameter(s); launched with a KernelConfig on the default stream.</summary>
    internal Action<KernelConfig, T1, T2, T3, T4, T5> KG<T1, T2, T3, T4, T5>(ref Action<KernelConfig, T1, T2, T3, T4, T5>? slot, Action<T1, T2, T3, T4, T5> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct
        => slot ??= Accelerator.LoadStreamKernel(kernel);

    /// <summary>Loads (once) an explicitly grouped kernel with 6 parameter(s); launched with a KernelConfig on the default stream.</summary>
    internal Action<KernelConfig, T1, T2, T3, T4, T5, T6> KG<T1, T2, T3, T4, T5, T6>(ref Action<KernelConfig, T1, T2, T3, T4, T5, T6>? slot, Action<T1, T2, T3, T4, T5, T6> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct
        => slot ??= Accelerator.LoadStreamKernel(kernel);

    /// <summary>Loads (once) an explicitly grouped kernel with 7 parameter(s); launched with a KernelConfig on the default stream.</summary>
    internal Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7> KG<T1, T2, T3, T4, T5, T6, T7>(ref Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7>? slot, Action<T1, T2, T3, T4, T5, T6, T7> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct
        => slot ??= Accelerator.LoadStreamKernel(kernel);

    /// <summary>Loads (once) an explicitly grouped kernel with 8 parameter(s); launched with a KernelConfig on the default stream.</summary>
    internal Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8> KG<T1, T2, T3, T4, T5, T6, T7, T8>(ref Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8>? slot, Action<T1, T2, T3, T4, T5, T6, T7, T8> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct
        => slot ??= Accelerator.LoadStreamKernel(kernel);

}

using System.Reflection;
using HarFromScratch.Engine.Backends.Ilgpu;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using Xunit.Abstractions;

namespace HarFromScratch.Engine.Tests.Ilgpu;

/// <summary>
/// Every <see cref="IlgpuKernelAttribute"/> method in the engine assembly compiles for CUDA (PTX) and OpenCL C
/// without a device: new kernel families are covered as soon as their methods carry the attribute.
/// </summary>
[Collection("ilgpu")]
public sealed class KernelCompileTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Kernels() => AllKernels().Select(m => new object[] { $"{m.DeclaringType!.Name}.{m.Name}" });

    internal static IReadOnlyList<MethodInfo> AllKernels() => typeof(IlgpuBackend).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
        .Where(m => m.GetCustomAttribute<IlgpuKernelAttribute>() != null)
        .OrderBy(m => m.DeclaringType!.Name).ThenBy(m => m.Name)
        .ToList();

    private static MethodInfo Find(string name) => AllKernels().Single(m => $"{m.DeclaringType!.Name}.{m.Name}" == name);

    internal static EntryPointDescription EntryPoint(MethodInfo m)
    {
        var first = m.GetParameters().FirstOrDefault()?.ParameterType;
        bool implicitGroup = first == typeof(Index1D) || first == typeof(Index2D) || first == typeof(Index3D);
        return implicitGroup ? EntryPointDescription.FromImplicitlyGroupedKernel(m) : EntryPointDescription.FromExplicitlyGroupedKernel(m);
    }

    // one compiler context for the class: creating a context costs ~200 ms
    private static readonly Lazy<Context> CompileContext = new(() => Context.Create(b => b.CPU().EnableAlgorithms()));

    [Fact]
    public void KernelSetIsFoundAndCoversEveryFamily()
    {
        var kernels = AllKernels();
        Assert.NotEmpty(kernels);
        var families = kernels.Select(k => k.DeclaringType!.Name).ToHashSet();
        foreach (var f in new[] { "ElementwiseKernels", "ReduceKernels", "CopyKernels", "GemmKernels", "SoftmaxKernels", "OptimKernels" })
            Assert.Contains(f, families);
        foreach (var k in kernels)
        {
            Assert.True(k.IsStatic && k.IsPublic && k.ReturnType == typeof(void), $"{k.Name}: kernels are public static void");
        }
        output.WriteLine($"{kernels.Count} kernels: {string.Join(", ", kernels.Select(k => k.DeclaringType!.Name + "." + k.Name))}");
    }

    /// <summary>
    /// Kernel parameters must be blittable (ILGPU rejects bool/char fields at load time, on every accelerator,
    /// but the PTX compiler alone does not notice): check every parameter of every kernel here.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kernels))]
    public void ParametersAreBlittable(string kernel)
    {
        foreach (var p in Find(kernel).GetParameters())
        {
            var t = p.ParameterType;
            if (t == typeof(Index1D) || t == typeof(Index2D) || t == typeof(Index3D)) continue;
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(ArrayView<>)) continue;
            Assert.True(t.IsValueType && !t.IsByRef, $"{kernel}: parameter {p.Name} of type {t.Name} is not a value type");
            Assert.True(IsBlittable(t), $"{kernel}: parameter {p.Name} of type {t.Name} is not blittable (bool/char/reference field?)");
        }
    }

    private static bool IsBlittable(Type t)
    {
        if (t.IsEnum) return true;
        if (t.IsPrimitive) return t != typeof(bool) && t != typeof(char);
        if (!t.IsValueType) return false;
        return t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).All(f => IsBlittable(f.FieldType));
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void CompilesToPtx(string kernel)
    {
        var m = Find(kernel);
        using var backend = new PTXBackend(CompileContext.Value, new CudaCapabilityContext(CudaArchitecture.SM_75),
            CudaArchitecture.SM_75, CudaInstructionSet.ISA_75, null);
        var compiled = (PTXCompiledKernel)backend.Compile(EntryPoint(m), KernelSpecialization.Empty);
        string ptx = compiled.PTXAssembly;
        Assert.Contains(".entry", ptx);
        Assert.Contains(".target sm_", ptx);
        if (m.Name == nameof(GemmKernels.GemmTiled))
        {
            Assert.Contains("bar.sync", ptx);
            Assert.Contains(".shared", ptx);
        }
        output.WriteLine($"{kernel}: {ptx.Length} chars of PTX");
    }

    /// <summary>
    /// ILGPU's OpenCL backend generates OpenCL C from a capability context alone (no device): kernels that compile
    /// here will at least be accepted by ILGPU for OpenCL devices with the generic address space (OpenCL 2.0+/3.0 GPUs).
    /// </summary>
    [Theory]
    [MemberData(nameof(Kernels))]
    public void CompilesToOpenClC(string kernel)
    {
        var m = Find(kernel);
        var caps = CreateClCapabilities();
        using var backend = new CLBackend(CompileContext.Value, caps, CLDeviceVendor.Nvidia, CLCVersion.CL20);
        var compiled = (CLCompiledKernel)backend.Compile(EntryPoint(m), KernelSpecialization.Empty);
        Assert.Contains("kernel", compiled.Source);
        output.WriteLine($"{kernel}: {compiled.Source.Length} chars of OpenCL C");
    }

    private static CLCapabilityContext CreateClCapabilities()
    {
        // the constructor (float16, float64, int64 atomics, subgroups, generic address space) is not public in 1.5.3
        var ctor = typeof(CLCapabilityContext).GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .Single(c => c.GetParameters().Length == 5 && c.GetParameters().All(p => p.ParameterType == typeof(bool)));
        return (CLCapabilityContext)ctor.Invoke([false, false, false, false, true]);
    }
}

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>
/// Marks a static method as an ILGPU kernel. Tests find every marked method by reflection and compile it to PTX
/// (and OpenCL C), so a new kernel family is covered as soon as its methods carry this attribute.
/// A kernel whose first parameter is <c>Index1D/2D/3D</c> is implicitly grouped (launched with an extent);
/// any other kernel is explicitly grouped (launched with a <c>KernelConfig</c>, may use shared memory and barriers).
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class IlgpuKernelAttribute : Attribute
{
}

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>ILGPU backend (cuda, opencl, ilgpu-cpu). Placeholder until the kernels land.</summary>
public static class IlgpuBackend
{
    public static bool IsAvailable(string kind) => false;
    public static IBackend? Create(string kind) => null;
}

using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Optim;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Tensors;

/// <summary>Runs alone: the live-bytes counter is per device and other tests allocate on the same device.</summary>
[CollectionDefinition(nameof(MemoryTests), DisableParallelization = true)]
public class MemoryTestsCollection;

[Collection(nameof(MemoryTests))]
public class MemoryTests
{
    [Fact]
    public void ThousandTrainingStepsKeepDeviceMemoryFlat()
    {
        var model = new Sequential(new Linear(8, 32, rng: new Rng(1), device: Cpu), Activation.ReLU(), new Linear(32, 3, rng: new Rng(2), device: Cpu));
        var opt = new AdamW(model.Parameters(), 1e-2f);
        var x = TensorScope.Unscoped(() => Randn(3, 16, 8));
        int[] labels = Enumerable.Range(0, 16).Select(i => i % 3).ToArray();
        var be = Cpu.Backend;
        long after10 = 0;
        for (int step = 0; step < 1000; step++)
        {
            using (TensorScope.Begin())
            {
                opt.ZeroGrad();
                var loss = Losses.CrossEntropy(model.Forward(x), labels);
                loss.Backward();
                opt.Step();
            }
            if (step == 10) after10 = be.MemoryStats.liveBytes;
        }
        var live = be.MemoryStats.liveBytes;
        // parameters, grads and optimiser state only; nothing from the steps survives
        Assert.True(live <= after10, $"live bytes grew from {after10} after 10 steps to {live} after 1000");
    }

    [Fact]
    public void ScopeDisposesItsTensorsAndKeepMovesOut()
    {
        Tensor kept, dropped;
        using (var outer = TensorScope.Begin())
        {
            using (var inner = TensorScope.Begin())
            {
                dropped = Tensor.Ones([4], Cpu);
                kept = inner.Keep(Tensor.Ones([4], Cpu) * 2f);
            }
            Assert.True(dropped.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal(8f, kept.Sum().Item());
        }
        Assert.True(kept.IsDisposed);
        var ex = Assert.Throws<ObjectDisposedException>(() => kept.ToArray());
        Assert.Contains("TensorScope", ex.Message);
    }

    [Fact]
    public void ReshapeSharesStorageUntilBothAreGone()
    {
        var be = Cpu.Backend;
        using (TensorScope.Begin())
        {
            var a = Tensor.Zeros([1000], Cpu);
            var b = a.Reshape(10, 100);
            a.Dispose();
            Assert.Equal(0f, b.Sum().Item()); // still readable through the view
        }
    }

    [Fact]
    public void DeviceSelectionErrorsListWhatExists()
    {
        var e = Assert.Throws<ArgumentException>(() => Device.Get("tpu"));
        Assert.Contains("unknown device 'tpu'", e.Message);
        Assert.Contains("cpu", e.Message);
        Assert.Equal("cpu", Device.Get("CPU").Name);
        Assert.Contains("cpu", Device.Available());
    }
}

using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Models;

/// <summary>Activations a model block can use (MobileNet blocks pick one per block).</summary>
public enum Act { ReLU, ReLU6, Hardswish, SELU }

/// <summary>Small helpers shared by the model families: activation layers, initialisers, block pieces.</summary>
internal static class ModelParts
{
    public static Module Activation(Act act) => act switch
    {
        Act.ReLU => new ReLU(),
        Act.ReLU6 => new ReLU6(),
        Act.Hardswish => new Hardswish(),
        Act.SELU => new SELU(),
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };

    /// <summary>
    /// torchvision's MobileNet initialisation (also SMLDist's): convolutions Kaiming-normal with fan_out
    /// (std = √2/√fan_out), conv biases 0, BN weight 1 / bias 0 (already so), Linear N(0, 0.01) with bias 0.
    /// </summary>
    public static void MobileNetInit(Module model, Rng rng)
    {
        foreach (var (_, m) in model.NamedModules())
        {
            switch (m)
            {
                case Conv1d c:
                {
                    var (_, fanOut) = Init.Fans(c.Weight.Shape);
                    Init.Normal(c.Weight, 0f, MathF.Sqrt(2f / fanOut), rng);
                    if (c.Bias != null) Init.Constant(c.Bias, 0f);
                    break;
                }
                case Linear l:
                    Init.Normal(l.Weight, 0f, 0.01f, rng);
                    if (l.Bias != null) Init.Constant(l.Bias, 0f);
                    break;
            }
        }
    }

    /// <summary>Conv1d (padding "same", stride 1) → BatchNorm1d, the unit of the FCN and ResNet families.</summary>
    public static Sequential ConvBn(int cin, int cout, int kernel, Rng rng, Engine.Devices.Device device, bool relu) =>
        relu
            ? new Sequential(new Conv1d(cin, cout, kernel, "same", rng: rng, device: device), new BatchNorm1d(cout, device: device), new ReLU())
            : new Sequential(new Conv1d(cin, cout, kernel, "same", rng: rng, device: device), new BatchNorm1d(cout, device: device));

    /// <summary>(N, T, D) sequence → (N, D, T), the channels-first layout features use.</summary>
    public static Tensor ChannelsFirst(Tensor seq) => seq.Transpose(1, 2);
}

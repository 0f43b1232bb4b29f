using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Conv;

/// <summary>
/// Depthwise conv1d against an independent oracle: libtorch 2.10 (TorchSharp 0.107) on a deterministic input, from
/// shared/bench/libtorch (golden_dwconv1d.txt): x = sin(0.1·arange(48)) as (2,3,8), w = cos(0.37·arange(15)) as (3,1,5),
/// y = conv1d(x, w, padding 2, groups 3), loss = Σ y².
/// </summary>
public class ConvGoldenTests
{
    private static readonly float[] Y = [0.062405746f, 0.18885973f, 0.40650412f, 0.7199203f, 1.0261432f, 1.3221133f, 1.5398295f, 1.4815917f, -2.2079928f, -2.803903f, -3.1800308f, -3.3468447f, -3.4802177f, -3.5788178f, -2.6597745f, -1.7108607f, 0.2666924f, -0.3441878f, -1.2017584f, -1.2013459f, -1.1889299f, -1.1646345f, -1.433171f, -1.4170852f, 0.811667f, 1.3396803f, 1.8345299f, 1.5653441f, 1.2805178f, 0.9828974f, 0.68074876f, 0.40152517f, 0.45588776f, 0.7655559f, 1.1088f, 1.4524246f, 1.7815368f, 2.0928488f, 1.6398394f, 1.1016821f, -0.26900864f, 0.1756443f, 0.8483392f, 0.92926306f, 1.0009023f, 1.0625403f, 1.5625887f, 1.6933857f];
    private static readonly float[] Dx = [1.2573358f, 2.5322633f, 4.174344f, 6.016668f, 7.774451f, 8.830236f, 6.398758f, 3.7973797f, 8.904038f, 14.809199f, 21.235159f, 23.645533f, 24.552462f, 23.676258f, 20.476429f, 15.177303f, 2.307337f, 3.7148707f, 4.2761045f, 3.5019293f, 3.1486008f, 3.432801f, 1.1702856f, -0.5667872f, 7.365882f, 9.25191f, 9.5279455f, 8.539865f, 6.810282f, 4.946748f, 2.8604555f, 1.3766747f, -2.3133373f, -4.342021f, -7.0283685f, -9.46679f, -11.504401f, -12.512815f, -11.742216f, -9.213964f, -1.504669f, -2.7396538f, -3.4759333f, -3.1778898f, -3.5162597f, -4.2835336f, -1.760398f, 0.35130537f];
    private static readonly float[] Dw = [11.113312f, 12.964657f, 13.82266f, 11.265704f, 8.408777f, -35.881985f, -43.37883f, -50.11432f, -48.454372f, -43.43948f, -27.138943f, -28.095888f, -26.903524f, -21.056267f, -15.449287f];

    [Fact]
    public void DepthwiseMatchesLibtorch()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 48).Select(i => MathF.Sin(i * 0.1f)).ToArray(), [2, 3, 8], Cpu, requiresGrad: true);
        var w = Tensor.FromArray(Enumerable.Range(0, 15).Select(i => MathF.Cos(i * 0.37f)).ToArray(), [3, 1, 5], Cpu, requiresGrad: true);
        var y = Tensor.Conv1d(x, w, null, 1, 2, 1, 3);
        AssertClose(Y, y.ToArray(), 1e-5f, 1e-5f, "y");
        (y * y).Sum().Backward();
        AssertClose(Dx, x.Grad!.ToArray(), 1e-4f, 1e-5f, "dx");
        AssertClose(Dw, w.Grad!.ToArray(), 1e-4f, 1e-5f, "dw");
    }
}

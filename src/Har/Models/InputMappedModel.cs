using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Data;

namespace HarFromScratch.Har.Models;

/// <summary>
/// A trained model fed windows normalised with other statistics than its own (a teacher trained on another validation
/// split than its student's): maps the input into the model's normalisation, then runs it unchanged — logits, named
/// features and auxiliary logits — under the model's own spec.
/// </summary>
public sealed class InputMappedModel : HarModel
{
    private readonly HarModel _inner;
    private readonly Tensor _scale, _shift;

    private InputMappedModel(HarModel inner, (Tensor scale, Tensor shift) map) : base(inner.Spec)
    {
        _inner = RegisterModule("inner", inner);
        (_scale, _shift) = map;
    }

    /// <summary>The model itself when the statistics agree, else the model behind the mapping.</summary>
    public static HarModel IfNeeded(HarModel model, ChannelStats? inputStats, ChannelStats? modelStats) =>
        Mapping(inputStats, modelStats, model.Spec.Channels, model.Device) is { } map ? new InputMappedModel(model, map) : model;

    /// <summary>x_model = (x·σ_in + μ_in − μ_m) / σ_m per channel, as scale and shift of shape (1, C, 1); null when the statistics agree.</summary>
    private static (Tensor scale, Tensor shift)? Mapping(ChannelStats? input, ChannelStats? member, int channels, Device device)
    {
        float[] Mean(ChannelStats? s) => s?.Mean ?? new float[channels];
        float[] Std(ChannelStats? s) => s?.Std ?? Enumerable.Repeat(1f, channels).ToArray();
        var (mi, si, mm, sm) = (Mean(input), Std(input), Mean(member), Std(member));
        if (mi.Length != channels || mm.Length != channels)
            throw new ArgumentException($"input mapping: normalisation statistics cover {mi.Length} and {mm.Length} channels, the models take {channels}");
        if (mi.SequenceEqual(mm) && si.SequenceEqual(sm)) return null;
        var scale = new float[channels];
        var shift = new float[channels];
        for (int c = 0; c < channels; c++) { scale[c] = si[c] / sm[c]; shift[c] = (mi[c] - mm[c]) / sm[c]; }
        return (TensorScope.Unscoped(() => Tensor.FromArray(scale, [1, channels, 1], device)),
                TensorScope.Unscoped(() => Tensor.FromArray(shift, [1, channels, 1], device)));
    }

    public override ModelOutput Run(Tensor x) => _inner.Run(x * _scale + _shift);
}

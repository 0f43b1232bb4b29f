using System.Globalization;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Models;

/// <summary>Whether a model is meant as a teacher (large) or a student (small).</summary>
public enum ModelRole { Teacher, Student }

/// <summary>A catalogue entry: name, role, one-line description, and how to build it.</summary>
public sealed record ModelEntry(string Name, ModelRole Role, string Description, Func<ModelSpec, Rng, Device, HarModel> Factory);

/// <summary>Size of a model for one input shape (what <c>har models</c> lists).</summary>
public sealed record ModelInfo(string Name, ModelRole Role, string Description, long Parameters, long MacsPerWindow);

/// <summary>
/// The models of the project by name. MobileNet presets accept a width multiplier suffix, <c>NAME@WIDTH</c>
/// (e.g. <c>mobilenet-small@0.75</c>); the name with its suffix is what <see cref="ModelSpec.Name"/> records.
/// </summary>
public static class ModelCatalog
{
    private static readonly ModelEntry[] _entries =
    [
        new("mobilenet-tiny", ModelRole.Student, "MobileNet-1D V3, 6 blocks at width 0.5 (SE, Hardswish/ReLU)",
            (s, r, d) => new MobileNet1d(s, MobileNetConfig.Tiny, 0.5 * WidthOf(s.Name), r, d)),
        new("mobilenet-small", ModelRole.Student, "MobileNet-1D V3-Small, 11 blocks (SE, Hardswish/ReLU)",
            (s, r, d) => new MobileNet1d(s, MobileNetConfig.Small, WidthOf(s.Name), r, d)),
        new("mobilenet-v2-small", ModelRole.Student, "MobileNet-1D V2-style, 9 blocks at width 0.5 (ReLU6, no SE)",
            (s, r, d) => new MobileNet1d(s, MobileNetConfig.V2Small, 0.5 * WidthOf(s.Name), r, d)),
        new("mobilenet-large", ModelRole.Teacher, "MobileNet-1D V3-Large, 15 blocks (SE, Hardswish/ReLU)",
            (s, r, d) => new MobileNet1d(s, MobileNetConfig.Large, WidthOf(s.Name), r, d)),
        new("mlp", ModelRole.Student, "MLP 3 x 500 ReLU, dropout 0.1/0.2/0.2/0.3 (Wang et al. 2017)",
            (s, r, d) => new Mlp(s, r, d)),
        new("fcn", ModelRole.Student, "Fully convolutional net, 128/256/128 channels, kernels 8/5/3, GAP",
            (s, r, d) => new Fcn(s, r, d)),
        new("resnet-lstm-an", ModelRole.Teacher, "ResNetLSTMaN: residual CNN 128/256/256 + LSTM-attention, aux head per block",
            (s, r, d) => new ResNetLstmAn(s, r, d)),
        new("resnet-lstm-an-small", ModelRole.Teacher, "ResNetLSTMaN with a 64/128/128 CNN branch (a quarter of the MACs)",
            (s, r, d) => new ResNetLstmAn(s, r, d, [64, 128, 128])),
        new("resnet1d", ModelRole.Teacher, "ResNet-1D, 3 residual blocks 64/128/128, kernels 8/5/3, GAP",
            (s, r, d) => new ResNet1d(s, r, d)),
        new("lstm-attention", ModelRole.Teacher, "2-layer LSTM (128) with scaled dot-product attention pooling",
            (s, r, d) => new LstmAttentionModel(s, r, d)),
        new("transformer", ModelRole.Teacher, "Transformer encoder: patch 4 embed to 64, 3 layers, 4 heads, mean pool",
            (s, r, d) => new TransformerModel(s, r, d)),
    ];

    /// <summary>Every entry, in listing order.</summary>
    public static IReadOnlyList<ModelEntry> Entries => _entries;

    public static IReadOnlyList<string> Names => _entries.Select(e => e.Name).ToList();

    /// <summary>Whether <paramref name="name"/> (with an optional @WIDTH suffix on MobileNet presets) is a known model.</summary>
    public static bool IsKnown(string name)
    {
        try { Find(name); return true; }
        catch (ArgumentException) { return false; }
    }

    /// <summary>The entry for <paramref name="name"/>; an unknown name or a bad width suffix gives an error that lists the known names.</summary>
    public static ModelEntry Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var (baseName, _) = Split(name);
        var entry = _entries.FirstOrDefault(e => string.Equals(e.Name, baseName, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown model '{name}'; known models: {string.Join(", ", Names)}");
        if (baseName.Length != name.Length && !entry.Name.StartsWith("mobilenet", StringComparison.Ordinal))
            throw new ArgumentException($"model '{name}': only the MobileNet presets take a width suffix (@WIDTH)");
        WidthOf(name);
        return entry;
    }

    /// <summary>Builds a model for windows of (channels, length) and <paramref name="classes"/> classes, initialised from <paramref name="rng"/>.</summary>
    public static HarModel Create(string name, int channels, int length, int classes, Rng rng, Device? device = null) =>
        Create(new ModelSpec(name, channels, length, classes), rng, device);

    public static HarModel Create(ModelSpec spec, Rng rng, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (spec.Channels <= 0 || spec.Length <= 0 || spec.Classes <= 1)
            throw new ArgumentException($"model '{spec.Name}': input ({spec.Channels} channels, length {spec.Length}) and {spec.Classes} classes must be positive (at least 2 classes)");
        var entry = Find(spec.Name);
        return TensorScope.Unscoped(() => entry.Factory(spec, rng, device ?? Device.Default));
    }

    /// <summary>Parameters and MACs per window of <paramref name="name"/> for this input shape (built on cpu with a fixed seed).</summary>
    public static ModelInfo Describe(string name, int channels, int length, int classes)
    {
        var entry = Find(name);
        var model = Create(name, channels, length, classes, new Rng(0), Device.Cpu);
        try
        {
            return new ModelInfo(name, entry.Role, entry.Description, model.ParameterCount, model.MacsPerWindow());
        }
        finally
        {
            foreach (var (_, t) in model.StateDict()) t.Dispose();
        }
    }

    private static (string baseName, string? width) Split(string name)
    {
        int at = name.IndexOf('@');
        return at < 0 ? (name, null) : (name[..at], name[(at + 1)..]);
    }

    /// <summary>The width multiplier of a name (1 without a suffix).</summary>
    internal static double WidthOf(string name)
    {
        var (_, w) = Split(name);
        if (w == null) return 1.0;
        if (!double.TryParse(w, NumberStyles.Float, CultureInfo.InvariantCulture, out var width) || !(width > 0 && width <= 4))
            throw new ArgumentException($"model '{name}': width multiplier '{w}' must be a number in (0, 4]");
        return width;
    }
}

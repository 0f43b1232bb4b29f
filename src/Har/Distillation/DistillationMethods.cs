using System.Globalization;

namespace HarFromScratch.Har.Distillation;

/// <summary>A coefficient of a method: its name (as in <c>--set NAME=VALUE</c>), default and meaning.</summary>
public sealed record MethodParameter(string Name, double Default, string Description);

/// <summary>A method of the catalogue: how to build it from the setup and the coefficient values.</summary>
public sealed record MethodEntry(string Name, string Description, bool Mutual, IReadOnlyList<MethodParameter> Parameters,
    Func<DistillSetup, MethodOptions, DistillationLoss> Factory)
{
    /// <summary>The method reads only the teacher's logits (no intermediate features), so an ensemble of runs can teach it.</summary>
    public bool LogitsOnly { get; init; }
}

/// <summary>Coefficient values of one run: the defaults overridden by <c>--set NAME=VALUE</c>; unknown names are errors.</summary>
public sealed class MethodOptions
{
    private readonly Dictionary<string, double> _values;

    public MethodOptions(MethodEntry entry, IReadOnlyDictionary<string, string>? overrides = null)
    {
        _values = entry.Parameters.ToDictionary(p => p.Name, p => p.Default, StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in overrides ?? new Dictionary<string, string>())
        {
            if (!_values.ContainsKey(k))
                throw new ArgumentException($"--set {k}={v}: method '{entry.Name}' has no coefficient '{k}'; it has: {string.Join(", ", entry.Parameters.Select(p => p.Name))}");
            if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d))
                throw new ArgumentException($"--set {k}={v}: '{v}' is not a number");
            _values[k] = d;
        }
    }

    /// <summary><c>--set NAME=VALUE</c> items as a name → value map (a later value of a name wins).</summary>
    public static Dictionary<string, string> ParseSets(IEnumerable<string> items)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var s in items)
        {
            int eq = s.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--set {s}: expected NAME=VALUE");
            d[s[..eq].Trim()] = s[(eq + 1)..].Trim();
        }
        return d;
    }

    public double this[string name] => _values.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"coefficient '{name}' is not declared by the method");
    public float F(string name) => (float)this[name];
    public int I(string name) => (int)Math.Round(this[name]);

    public IReadOnlyDictionary<string, string> AsStrings() =>
        _values.ToDictionary(kv => kv.Key, kv => kv.Value.ToString("R", CultureInfo.InvariantCulture));
}

/// <summary>Every distillation method by name: the classic baselines and the project's methods (SMLDist, HMKD).</summary>
public static class DistillationMethods
{
    public static IReadOnlyList<MethodEntry> All => [.. BaselineMethods.Entries, .. ProposedMethods.Entries];

    public static MethodEntry Find(string name) =>
        All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown distillation method '{name}'; known methods: {string.Join(", ", All.Select(e => e.Name))}");

    public static DistillationLoss Create(string name, DistillSetup setup, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var e = Find(name);
        return e.Factory(setup, new MethodOptions(e, overrides));
    }
}

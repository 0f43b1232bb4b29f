using System.Text.Json;
using System.Text.Json.Serialization;
using HarFromScratch.Har.Data;
using HarFromScratch.Har.Distillation.SmlDist;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Distillation.Experiments;

/// <summary>A teacher/student pair of a grid. Teacher: a run folder ("{dataset}" is replaced) or a model name.</summary>
public sealed record GridPair
{
    [JsonPropertyName("teacher")] public required string Teacher { get; init; }
    [JsonPropertyName("student")] public required string Student { get; init; }

    /// <summary>Whether a teacher names a catalogue model (trained by the grid) rather than a run folder.</summary>
    public static bool IsModelName(string teacher) => !(teacher.Contains('/') || teacher.Contains('\\') || Directory.Exists(teacher));
}

/// <summary>
/// A named arm of a grid: a method with --set values and training options of its own (an ablation, or a setting
/// compared beside the method's defaults), listed in "methods" by its name. Its cells get the method's "sets" first,
/// then these, so a variant states only what it changes (a later --set of the same coefficient wins); each option in
/// its "args" replaces the grid's "args" of that name (a value changed, a flag added, or "--flag false").
/// </summary>
public sealed record GridVariant
{
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("sets")] public List<string> Sets { get; init; } = new();
    [JsonPropertyName("args")] public List<string> Args { get; init; } = new();
}

/// <summary>
/// A cell's command line as option groups: an option ("--name") with the value that follows it, if the next token is
/// not an option itself. Grids write options by their long names, so a group is what one option sets.
/// </summary>
public static class GridArgs
{
    public static List<List<string>> Groups(IReadOnlyList<string> args)
    {
        var groups = new List<List<string>>();
        for (int i = 0; i < args.Count; i++)
        {
            var g = new List<string> { args[i] };
            if (args[i].StartsWith("--") && i + 1 < args.Count && !args[i + 1].StartsWith("--")) g.Add(args[++i]);
            groups.Add(g);
        }
        return groups;
    }

    /// <summary>The options of `args`, with every option that `over` names replaced by `over`'s (appended at the end).</summary>
    public static List<string> Override(IReadOnlyList<string> args, IReadOnlyList<string> over)
    {
        var names = Groups(over).Select(g => g[0]).ToHashSet();
        return [.. Groups(args).Where(g => !names.Contains(g[0])).SelectMany(g => g), .. over];
    }
}

/// <summary>
/// An experiment grid (JSON): datasets × pairs × methods × seeds, plus a "student alone" cell per student.
/// <code>
/// { "name": "hmkd-table", "out": "runs/grid-hmkd", "datasets": ["hapt"],
///   "pairs": [{ "teacher": "resnet-lstm-an", "student": "mlp" }],
///   "methods": ["hmkd", "kd"],            // or ["all"]: every method of `har distill --list-methods`
///   "seeds": [1, 2, 3], "student_alone": true,
///   "train_teachers": true, "teacher_seed": 1, "teacher_args": ["--epochs", "60"],
///   "args": ["--epochs", "60", "--batch", "64"],       // options of every cell (har train / har distill)
///   "sets": { "hmkd": ["tau=4"] },                      // --set values per method
///   "compare_to": "hmkd",                              // a second paired column: every arm against this one
///   "variants": { "hmkd-tau2": { "method": "hmkd", "sets": ["tau=2"] },           // named arms, listed in "methods"
///                 "kd-soft": { "method": "kd", "args": ["--soft-class-weights"] } } }
/// </code>
/// </summary>
public sealed record ExperimentGrid
{
    [JsonPropertyName("name")] public string Name { get; init; } = "grid";
    [JsonPropertyName("out")] public string? Out { get; init; }
    [JsonPropertyName("datasets")] public List<string> Datasets { get; init; } = new();
    [JsonPropertyName("pairs")] public List<GridPair> Pairs { get; init; } = new();
    [JsonPropertyName("methods")] public List<string> Methods { get; init; } = new();
    [JsonPropertyName("seeds")] public List<ulong> Seeds { get; init; } = [1];
    [JsonPropertyName("student_alone")] public bool StudentAlone { get; init; } = true;
    [JsonPropertyName("train_teachers")] public bool TrainTeachers { get; init; } = true;
    [JsonPropertyName("teacher_seed")] public ulong TeacherSeed { get; init; } = 1;
    [JsonPropertyName("teacher_args")] public List<string> TeacherArgs { get; init; } = new();
    [JsonPropertyName("args")] public List<string> Args { get; init; } = new();
    [JsonPropertyName("sets")] public Dictionary<string, List<string>> Sets { get; init; } = new();
    [JsonPropertyName("variants")] public Dictionary<string, GridVariant> Variants { get; init; } = new();
    /// <summary>An arm (method or variant) that the table pairs every other distilled arm with, seed by seed, beside
    /// the student alone: the full method of an ablation, or the baseline a method must beat.</summary>
    [JsonPropertyName("compare_to")] public string? CompareTo { get; init; }

    /// <summary>Arm names that cannot name a variant: the table's own rows and the "all" shorthand.</summary>
    private static readonly string[] ReservedArms = ["alone", "teacher", "all"];

    /// <summary>Options the grid gives each cell itself (from its dataset, pair, arm and seed), which a variant's "args" cannot change.</summary>
    private static readonly string[] CellOptions = ["--dataset", "--teacher", "--student", "--method", "--model", "--seed", "--out", "--set", "--resume"];

    public static ExperimentGrid Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--grid {path}: not found");
        ExperimentGrid g;
        try { g = JsonSerializer.Deserialize<ExperimentGrid>(File.ReadAllText(path), new JsonSerializerOptions { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new InvalidDataException($"--grid {path}: not a valid grid: {e.Message}"); }
        g.Validate(path);
        return g;
    }

    public void Validate(string where)
    {
        if (Datasets.Count == 0) throw new InvalidDataException($"{where}: \"datasets\" is empty");
        if (Pairs.Count == 0) throw new InvalidDataException($"{where}: \"pairs\" is empty");
        if (Seeds.Count == 0) throw new InvalidDataException($"{where}: \"seeds\" is empty");
        ValidateVariants(where);
        var methods = ResolvedMethods();
        try { foreach (var m in methods) DistillationMethods.Find(MethodOf(m)); }
        catch (ArgumentException e) { throw new InvalidDataException($"{where}: \"methods\": {e.Message}"); }
        foreach (var ds in Datasets)
        {
            try { DatasetCatalog.Find(ds); }
            catch (HarDataException e) { throw new InvalidDataException($"{where}: \"datasets\": {e.Message}"); }
        }
        foreach (var p in Pairs)
        {
            // a teacher given as a run folder is checked when its cells start; model names are checked now
            try
            {
                if (!p.Teacher.Contains("{dataset}") && GridPair.IsModelName(p.Teacher)) ModelCatalog.Find(p.Teacher);
                ModelCatalog.Find(HeadSearchModel.IsHeadModel(p.Student) ? HeadSearchModel.Parse(p.Student).baseName : p.Student);
            }
            catch (ArgumentException e) { throw new InvalidDataException($"{where}: \"pairs\": {e.Message}"); }
        }
        if (CompareTo != null && !methods.Contains(CompareTo, StringComparer.OrdinalIgnoreCase))
            throw new InvalidDataException($"{where}: \"compare_to\": '{CompareTo}' is not one of the grid's methods or variants ({string.Join(", ", methods)}); "
                + "the student alone is in the table's \"Δ F1 vs alone\" already");
        var used = methods.Select(MethodOf).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in Sets)
        {
            if (!used.Contains(k)) throw new InvalidDataException($"{where}: \"sets\" names '{k}', which is not among the grid's methods (nor the method of a listed variant)");
            CheckSets(where, $"\"sets\" of '{k}'", k, v);
        }
    }

    private void ValidateVariants(string where)
    {
        foreach (var (name, v) in Variants)
        {
            var what = $"\"variants\": '{name}'";
            if (name.Length == 0 || !name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.'))
                throw new InvalidDataException($"{where}: {what}: a variant's name names its cells' folders; use letters, digits, '-', '_' or '.'");
            if (ReservedArms.Contains(name, StringComparer.OrdinalIgnoreCase) || DistillationMethods.All.Any(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase)))
                throw new InvalidDataException($"{where}: {what} is already the name of a method or of a table row; give the variant a name of its own");
            if (FindVariant(v.Method) != null) throw new InvalidDataException($"{where}: {what}: its method '{v.Method}' is a variant; a variant's method must be a method of `har distill --list-methods`");
            try { DistillationMethods.Find(v.Method); }
            catch (ArgumentException e) { throw new InvalidDataException($"{where}: {what}: {e.Message}"); }
            if (!Methods.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw new InvalidDataException($"{where}: {what} is defined but not listed in \"methods\", so no cell would run it");
            CheckSets(where, what, v.Method, v.Sets);
            foreach (var g in GridArgs.Groups(v.Args))
            {
                if (!g[0].StartsWith("--"))
                    throw new InvalidDataException($"{where}: {what}: \"args\": '{g[0]}' is not an option; write each option by its long name (\"--epochs\", \"60\")");
                if (CellOptions.Contains(g[0]))
                    throw new InvalidDataException($"{where}: {what}: \"args\": {g[0]} is set by the grid for each cell"
                        + (g[0] == "--set" ? "; a variant's coefficients go in its \"sets\"" : ""));
            }
        }
    }

    /// <summary>--set values are checked against the method's coefficients now, not when the first cell starts.</summary>
    private static void CheckSets(string where, string what, string method, List<string> sets)
    {
        try { _ = new MethodOptions(DistillationMethods.Find(method), MethodOptions.ParseSets(sets)); }
        catch (ArgumentException e) { throw new InvalidDataException($"{where}: {what}: {e.Message}"); }
    }

    private GridVariant? FindVariant(string arm) =>
        Variants.FirstOrDefault(kv => string.Equals(kv.Key, arm, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>The `har distill --method` of an arm: a variant's method, else the arm itself.</summary>
    public string MethodOf(string arm) => FindVariant(arm)?.Method ?? arm;

    /// <summary>The --set values of an arm's cells: its method's "sets", then (for a variant) the variant's own.</summary>
    public List<string> SetsOf(string arm)
    {
        var method = MethodOf(arm);
        var sets = Sets.Where(kv => string.Equals(kv.Key, method, StringComparison.OrdinalIgnoreCase)).SelectMany(kv => kv.Value).ToList();
        if (FindVariant(arm) is { } v) sets.AddRange(v.Sets);
        return sets;
    }

    /// <summary>The training options of an arm's cells: the grid's "args", with a variant's own "args" in place of the same options.</summary>
    public List<string> ArgsOf(string arm) => FindVariant(arm) is { } v ? GridArgs.Override(Args, v.Args) : [.. Args];

    /// <summary>Whether an arm is a variant with training options of its own (its cells' "args" differ from the grid's).</summary>
    public bool HasOwnArgs(string arm) => FindVariant(arm) is { Args.Count: > 0 };

    /// <summary>The arms (methods and variants) in the grid's order, with "all" expanded to every method of the catalogue.</summary>
    public List<string> ResolvedMethods() =>
        Methods.SelectMany(m => m.Equals("all", StringComparison.OrdinalIgnoreCase) ? DistillationMethods.All.Select(e => e.Name) : [m])
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
}

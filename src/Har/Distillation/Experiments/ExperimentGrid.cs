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
/// An experiment grid (JSON): datasets × pairs × methods × seeds, plus a "student alone" cell per student.
/// <code>
/// { "name": "hmkd-table", "out": "runs/grid-hmkd", "datasets": ["hapt"],
///   "pairs": [{ "teacher": "resnet-lstm-an", "student": "mlp" }],
///   "methods": ["hmkd", "kd"],            // or ["all"]: every method of `har distill --list-methods`
///   "seeds": [1, 2, 3], "student_alone": true,
///   "train_teachers": true, "teacher_seed": 1, "teacher_args": ["--epochs", "60"],
///   "args": ["--epochs", "60", "--batch", "64"],       // options of every cell (har train / har distill)
///   "sets": { "hmkd": ["tau=4"] } }                     // --set values per method
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
        var methods = ResolvedMethods();
        try { foreach (var m in methods) DistillationMethods.Find(m); }
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
        foreach (var k in Sets.Keys)
            if (!methods.Contains(k, StringComparer.OrdinalIgnoreCase)) throw new InvalidDataException($"{where}: \"sets\" names '{k}', which is not among the grid's methods");
    }

    /// <summary>The methods, with "all" expanded to every method of the catalogue.</summary>
    public List<string> ResolvedMethods() =>
        Methods.Any(m => m.Equals("all", StringComparison.OrdinalIgnoreCase))
            ? DistillationMethods.All.Select(e => e.Name).ToList()
            : Methods.ToList();
}

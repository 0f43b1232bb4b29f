namespace HarFromScratch.Har.Data;

/// <summary>`har data check`: SHA256SUMS verification plus the dataset's verified counts.</summary>
public static class DatasetChecker
{
    public sealed record Result(bool Ok, List<string> Lines);

    /// <summary>Verified UCI-HAR training class counts (labels 1-6).</summary>
    public static readonly int[] UciHarTrainClassCounts = [1226, 1073, 986, 1286, 1374, 1407];
    public static readonly int[] UciHarTestClassCounts = [496, 471, 420, 491, 532, 537];

    public static Result Check(DatasetInfo info, DataOptions options)
    {
        var lines = new List<string>();
        bool ok = true;
        var root = HarData.DatasetRoot(info, options.DataDir);
        lines.Add($"dataset folder: {root}");
        var manifest = ChecksumManifest.TryLoad(root);
        if (manifest is null) lines.Add("SHA256SUMS: not present (checksums not verified)");
        else
        {
            var r = manifest.VerifyAll();
            lines.Add($"SHA256SUMS: {r.Ok} ok, {r.Missing.Count} missing, {r.Mismatched.Count} mismatched");
            foreach (var m in r.Missing) lines.Add($"  MISSING  {m}");
            foreach (var m in r.Mismatched) lines.Add($"  MISMATCH {m}");
            if (r.Missing.Count + r.Mismatched.Count > 0) ok = false;
        }
        RawDataset raw;
        try
        {
            raw = info.Loader(root, options with { VerifyChecksums = false, WindowLength = info == DatasetCatalog.UciHar ? 128 : options.WindowLength });
        }
        catch (HarDataException e)
        {
            lines.Add("load: FAILED: " + e.Message);
            return new Result(false, lines);
        }
        foreach (var (name, expected) in info.Facts)
        {
            long actual = raw.Counter(name);
            bool pass = actual == expected;
            ok &= pass;
            lines.Add($"{(pass ? "ok      " : "MISMATCH")} {name} = {actual}" + (pass ? "" : $" (expected {expected})"));
        }
        if (info == DatasetCatalog.UciHar)
        {
            var tr = raw.Train.ClassCounts(raw.ClassNames.Length);
            var te = raw.Test.ClassCounts(raw.ClassNames.Length);
            bool p1 = tr.SequenceEqual(UciHarTrainClassCounts), p2 = te.SequenceEqual(UciHarTestClassCounts);
            ok &= p1 && p2;
            lines.Add($"{(p1 ? "ok      " : "MISMATCH")} train class counts = {string.Join("/", tr)}" + (p1 ? "" : $" (expected {string.Join("/", UciHarTrainClassCounts)})"));
            lines.Add($"{(p2 ? "ok      " : "MISMATCH")} test class counts = {string.Join("/", te)}" + (p2 ? "" : $" (expected {string.Join("/", UciHarTestClassCounts)})"));
        }
        foreach (var kv in raw.Counters)
            if (!info.Facts.Any(f => f.Counter == kv.Key)) lines.Add($"info     {kv.Key} = {kv.Value}");
        lines.Add(ok ? "check passed" : "check FAILED");
        return new Result(ok, lines);
    }
}

using System.Globalization;
using System.Text;

namespace HarFromScratch.Har.Data;

/// <summary>
/// WISDM v1.1 (20 Hz phone accelerometer, 6 classes, users 1-36).
/// Raw file `WISDM_ar_v1.1_raw.txt`: records `user,activity,timestamp,x,y,z;`. Known malformations
/// (records with a missing/empty field, several records on one line, a missing ';') are handled:
/// well-formed records are kept wherever they appear and malformed ones are counted (never silent).
/// Windows are cut from maximal runs of consecutive records with the same user and activity.
/// Split by subject: users 1-28 train, 29-36 test.
/// Transformed ARFF: 43 features per 10 s segment, for feature-vector models.
/// </summary>
public static class WisdmLoader
{
    public static readonly string[] Classes = ["Walking", "Jogging", "Upstairs", "Downstairs", "Sitting", "Standing"];
    public static readonly string[] Channels = ["acc_x", "acc_y", "acc_z"];
    public const double RateHz = 20;
    public const int MaxUser = 36;
    /// <summary>Users 29-36 form the test split.</summary>
    public const int FirstTestUser = 29;
    public const string RawFileName = "WISDM_ar_v1.1_raw.txt";
    public const string ArffFileName = "WISDM_ar_v1.1_transformed.arff";

    public static bool IsTestUser(int user) => user >= FirstTestUser;

    /// <summary>Parsed raw records, sample-major.</summary>
    public sealed class RawRecords
    {
        public required int[] Users { get; init; }
        public required int[] Activities { get; init; }
        public required long[] Timestamps { get; init; }
        public required float[] Xyz { get; init; }
        public int Count => Users.Length;
        public long Lines { get; init; }
        public long Malformed { get; init; }
        /// <summary>First few malformed records as "file:line: reason".</summary>
        public List<string> MalformedExamples { get; init; } = new();
    }

    /// <summary>
    /// Parses the raw format. With <paramref name="strict"/>, the first malformed record throws;
    /// otherwise malformed records are skipped and counted. An activity outside the class set or a
    /// user outside 1..36 always throws.
    /// </summary>
    public static RawRecords ParseRaw(ReadOnlySpan<byte> data, string file, bool strict = false)
    {
        int cap = Math.Max(16, data.Length / 40);
        var users = new List<int>(cap); var acts = new List<int>(cap); var ts = new List<long>(cap);
        var xyz = new List<float>(cap * 3);
        long malformed = 0, lineNo = 0;
        var examples = new List<string>();
        int pos = 0;
        Span<int> commas = stackalloc int[8];
        while (TextParse.NextLine(data, ref pos, out var line))
        {
            lineNo++;
            int rp = 0;
            while (rp <= line.Length)
            {
                int semi = line[rp..].IndexOf((byte)';');
                var rec = semi < 0 ? line[rp..] : line.Slice(rp, semi);
                rp = semi < 0 ? line.Length + 1 : rp + semi + 1;
                rec = Trim(rec);
                if (rec.Length == 0) continue;
                string? err = ParseRecord(rec, out int u, out int a, out long t, out float x, out float y, out float z, out bool fatal);
                if (err is not null)
                {
                    if (strict || fatal) throw new HarDataException(err, file, lineNo);
                    malformed++;
                    if (examples.Count < 5) examples.Add($"{file}:{lineNo}: {err}");
                    continue;
                }
                users.Add(u); acts.Add(a); ts.Add(t); xyz.Add(x); xyz.Add(y); xyz.Add(z);
            }
        }
        if (users.Count == 0)
            throw new HarDataException(lineNo == 0 ? "file is empty; expected records 'user,activity,timestamp,x,y,z;'" :
                "no well-formed records; expected 'user,activity,timestamp,x,y,z;'", file);
        return new RawRecords
        {
            Users = [.. users], Activities = [.. acts], Timestamps = [.. ts], Xyz = [.. xyz],
            Lines = lineNo, Malformed = malformed, MalformedExamples = examples,
        };
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
    {
        int a = 0, b = s.Length;
        while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r')) a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r')) b--;
        return s[a..b];
    }

    private static string? ParseRecord(ReadOnlySpan<byte> rec, out int user, out int act, out long ts,
        out float x, out float y, out float z, out bool fatal)
    {
        user = act = 0; ts = 0; x = y = z = 0; fatal = false;
        Span<Range> f = stackalloc Range[8];
        int n = 0, start = 0;
        for (int i = 0; i <= rec.Length && n < 8; i++)
        {
            if (i == rec.Length || rec[i] == (byte)',') { f[n++] = new Range(start, i); start = i + 1; }
        }
        // tolerate one trailing empty field ("...,z,")
        if (n == 7 && Trim(rec[f[6]]).Length == 0) n = 6;
        if (n != 6)
            return $"wrong column count: expected 6 fields 'user,activity,timestamp,x,y,z', found {(n == 8 ? "8 or more" : n.ToString(CultureInfo.InvariantCulture))} in '{TextParse.Show(rec)}'";
        for (int i = 0; i < 6; i++)
            if (Trim(rec[f[i]]).Length == 0) return $"field {i + 1} is empty in '{TextParse.Show(rec)}'";
        if (!TextParse.TryInt(Trim(rec[f[0]]), out user))
            return $"field 1 (user): expected an integer, found '{TextParse.Show(Trim(rec[f[0]]))}'";
        if (user < 1 || user > MaxUser) { fatal = true; return $"user {user} is outside 1..{MaxUser}"; }
        var an = Trim(rec[f[1]]);
        act = -1;
        for (int k = 0; k < Classes.Length; k++)
            if (an.SequenceEqual(Encoding.ASCII.GetBytes(Classes[k]))) { act = k; break; }
        if (act < 0) { fatal = true; return $"activity '{TextParse.Show(an)}' is outside the class set {{{string.Join(", ", Classes)}}}"; }
        if (!long.TryParse(Trim(rec[f[2]]), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out ts))
            return $"field 3 (timestamp): expected an integer, found '{TextParse.Show(Trim(rec[f[2]]))}'";
        if (!TextParse.TryFloat(Trim(rec[f[3]]), out x)) return $"field 4 (x): expected a finite number, found '{TextParse.Show(Trim(rec[f[3]]))}'";
        if (!TextParse.TryFloat(Trim(rec[f[4]]), out y)) return $"field 5 (y): expected a finite number, found '{TextParse.Show(Trim(rec[f[4]]))}'";
        if (!TextParse.TryFloat(Trim(rec[f[5]]), out z)) return $"field 6 (z): expected a finite number, found '{TextParse.Show(Trim(rec[f[5]]))}'";
        return null;
    }

    /// <summary>Where the raw file must be, and how to get it.</summary>
    public static string RawMissingMessage(string root) =>
        $"WISDM raw file not found: expected '{Path.Combine(root, RawFileName)}' (or '{RawFileName}.gz'). " +
        $"It is not part of ../shared/data. Download {DatasetCatalog.Wisdm.DownloadUrl} (page {DatasetCatalog.Wisdm.HomePage}), " +
        $"unpack it and put {RawFileName} in '{root}', or run 'har data fetch wisdm'. " +
        "The transformed features are available as dataset 'wisdm-arff'.";

    public static RawDataset Load(string root, DataOptions options)
    {
        options.Validate();
        var path = Path.Combine(root, RawFileName);
        if (!TextParse.Exists(path)) throw new HarDataException(RawMissingMessage(root));
        path = TextParse.Locate(path);
        var manifest = options.VerifyChecksums ? ChecksumManifest.TryLoad(root) : null;
        var recs = ParseRaw(TextParse.ReadAll(path, manifest), path);
        return Window(recs, options);
    }

    /// <summary>Cuts windows from runs of equal (user, activity) and splits by user.</summary>
    public static RawDataset Window(RawRecords recs, DataOptions options)
    {
        int L = options.WindowLength, S = options.Stride;
        var train = new WindowBuilder(3, L, 1024);
        var test = new WindowBuilder(3, L, 256);
        long segments = 0, shortSegments = 0;
        int i = 0, n = recs.Count;
        while (i < n)
        {
            int j = i + 1;
            while (j < n && recs.Users[j] == recs.Users[i] && recs.Activities[j] == recs.Activities[i]) j++;
            segments++;
            int len = j - i;
            int nw = WindowBuilder.WindowCount(len, L, S);
            if (nw == 0) shortSegments++;
            var b = IsTestUser(recs.Users[i]) ? test : train;
            var seg = recs.Xyz.AsSpan(i * 3, len * 3);
            for (int w = 0; w < nw; w++) b.Add(seg, w * S, recs.Activities[i], recs.Users[i]);
            i = j;
        }
        var tr = train.Build();
        var te = test.Build();
        return new RawDataset
        {
            Name = "wisdm",
            ChannelNames = Channels,
            ClassNames = Classes,
            SamplingRateHz = RateHz,
            Train = tr,
            Test = te,
            Counters =
            [
                new("lines", recs.Lines),
                new("records", recs.Count),
                new("records_malformed", recs.Malformed),
                new("segments", segments),
                new("segments_shorter_than_window", shortSegments),
                new("windows_kept", tr.Count + te.Count),
            ],
        };
    }

    // ------------------------------------------------------------------ ARFF

    /// <summary>A parsed ARFF attribute: numeric when <see cref="Nominal"/> is null.</summary>
    public sealed record ArffAttribute(string Name, string[]? Nominal);

    public sealed class ArffTable
    {
        public required ArffAttribute[] Attributes { get; init; }
        /// <summary>Row-major values; nominal values are stored as their index; '?' is NaN.</summary>
        public required double[] Values { get; init; }
        public required int Rows { get; init; }
        public long Missing { get; init; }
    }

    /// <summary>Parses a Weka ARFF file (numeric and nominal attributes, '?' for missing, '%' comments).</summary>
    public static ArffTable ParseArff(ReadOnlySpan<byte> data, string file)
    {
        var attrs = new List<ArffAttribute>();
        var values = new List<double>();
        int rows = 0;
        long missing = 0, lineNo = 0;
        bool inData = false;
        int pos = 0;
        while (TextParse.NextLine(data, ref pos, out var lineBytes))
        {
            lineNo++;
            var line = Encoding.Latin1.GetString(lineBytes).Trim();
            if (line.Length == 0 || line[0] == '%') continue;
            if (!inData)
            {
                if (line.StartsWith("@relation", StringComparison.OrdinalIgnoreCase)) continue;
                if (line.StartsWith("@data", StringComparison.OrdinalIgnoreCase))
                {
                    if (attrs.Count == 0) throw new HarDataException("@data before any @attribute; expected attribute declarations", file, lineNo);
                    inData = true;
                    continue;
                }
                if (!line.StartsWith("@attribute", StringComparison.OrdinalIgnoreCase))
                    throw new HarDataException($"expected @relation, @attribute or @data, found '{Cut(line)}'", file, lineNo);
                attrs.Add(ParseAttribute(line["@attribute".Length..].Trim(), file, lineNo));
                continue;
            }
            var fields = line.Split(',');
            if (fields.Length != attrs.Count)
                throw new HarDataException($"wrong column count: expected {attrs.Count} values, found {fields.Length}", file, lineNo);
            for (int c = 0; c < fields.Length; c++)
            {
                var v = Unquote(fields[c].Trim());
                if (v == "?") { values.Add(double.NaN); missing++; continue; }
                var a = attrs[c];
                if (a.Nominal is null)
                {
                    if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d))
                        throw new HarDataException($"column {c + 1} ({a.Name}): expected a number, found '{Cut(v)}'", file, lineNo);
                    values.Add(d);
                }
                else
                {
                    int k = Array.IndexOf(a.Nominal, v);
                    if (k < 0)
                        throw new HarDataException($"column {c + 1} ({a.Name}): '{Cut(v)}' is outside the class set {{{string.Join(", ", a.Nominal)}}}", file, lineNo);
                    values.Add(k);
                }
            }
            rows++;
        }
        if (attrs.Count == 0) throw new HarDataException("file is empty or has no @attribute lines; expected an ARFF header", file);
        if (!inData) throw new HarDataException("file is truncated: no @data section", file);
        if (rows == 0) throw new HarDataException("no data rows after @data", file);
        return new ArffTable { Attributes = [.. attrs], Values = [.. values], Rows = rows, Missing = missing };
    }

    private static string Cut(string s) => s.Length > 40 ? s[..40] + "..." : s;

    private static string Unquote(string s) =>
        s.Length >= 2 && ((s[0] == '"' && s[^1] == '"') || (s[0] == '\'' && s[^1] == '\'')) ? s[1..^1] : s;

    private static ArffAttribute ParseAttribute(string rest, string file, long lineNo)
    {
        string name;
        if (rest.Length > 0 && (rest[0] == '"' || rest[0] == '\''))
        {
            int close = rest.IndexOf(rest[0], 1);
            if (close < 0) throw new HarDataException("unterminated quoted attribute name", file, lineNo);
            name = rest[1..close];
            rest = rest[(close + 1)..].Trim();
        }
        else
        {
            int sp = rest.IndexOfAny([' ', '\t', '{']);
            if (sp < 0) throw new HarDataException("expected '@attribute NAME TYPE'", file, lineNo);
            name = rest[..sp];
            rest = rest[sp..].Trim();
        }
        if (rest.StartsWith('{'))
        {
            int close = rest.IndexOf('}');
            if (close < 0) throw new HarDataException("unterminated nominal set: expected '}'", file, lineNo);
            var items = rest[1..close].Split(',').Select(x => Unquote(x.Trim())).ToArray();
            if (items.Length == 0 || items.Any(x => x.Length == 0)) throw new HarDataException("empty value in nominal set", file, lineNo);
            return new ArffAttribute(name, items);
        }
        var type = rest.ToLowerInvariant();
        if (type is "numeric" or "real" or "integer") return new ArffAttribute(name, null);
        throw new HarDataException($"attribute '{name}' has unsupported type '{Cut(rest)}'; expected numeric or a nominal set", file, lineNo);
    }

    /// <summary>
    /// Loads the transformed ARFF as feature vectors: a <see cref="WindowSet"/> with Channels = 43
    /// features and Time = 1, labels from 'class', subjects from 'user'. Missing values ('?') are
    /// replaced by the training-split mean of their feature (counted in 'missing_values_imputed').
    /// </summary>
    public static RawDataset LoadArff(string root, DataOptions options)
    {
        var path = TextParse.Locate(Path.Combine(root, ArffFileName),
            $"Download {DatasetCatalog.Wisdm.DownloadUrl} and unpack it into '{root}', or run 'har data fetch wisdm'");
        var manifest = options.VerifyChecksums ? ChecksumManifest.TryLoad(root) : null;
        var table = ParseArff(TextParse.ReadAll(path, manifest), path);
        return FromArff(table, path);
    }

    public static RawDataset FromArff(ArffTable t, string file)
    {
        int userCol = Array.FindIndex(t.Attributes, a => a.Name.Equals("user", StringComparison.OrdinalIgnoreCase));
        int classCol = Array.FindIndex(t.Attributes, a => a.Name.Equals("class", StringComparison.OrdinalIgnoreCase));
        if (userCol < 0 || classCol < 0 || t.Attributes[classCol].Nominal is null)
            throw new HarDataException("expected attributes 'user' and nominal 'class'", file);
        var featureCols = new List<int>();
        for (int c = 0; c < t.Attributes.Length; c++)
            if (c != userCol && c != classCol && t.Attributes[c].Nominal is null
                && !t.Attributes[c].Name.Equals("UNIQUE_ID", StringComparison.OrdinalIgnoreCase))
                featureCols.Add(c);
        var classNames = t.Attributes[classCol].Nominal!;
        int F = featureCols.Count, A = t.Attributes.Length;
        var userNames = t.Attributes[userCol].Nominal;
        var x = new float[(long)t.Rows * F];
        var y = new int[t.Rows];
        var s = new int[t.Rows];
        for (int r = 0; r < t.Rows; r++)
        {
            double uv = t.Values[r * A + userCol], cv = t.Values[r * A + classCol];
            if (double.IsNaN(uv) || double.IsNaN(cv))
                throw new HarDataException($"data row {r + 1}: 'user' and 'class' must not be missing", file);
            s[r] = userNames is null ? (int)uv : int.Parse(userNames[(int)uv], CultureInfo.InvariantCulture);
            if (s[r] < 1 || s[r] > MaxUser) throw new HarDataException($"data row {r + 1}: user {s[r]} is outside 1..{MaxUser}", file);
            y[r] = (int)cv;
            for (int f = 0; f < F; f++) x[(long)r * F + f] = (float)t.Values[r * A + featureCols[f]];
        }
        // impute missing values with the training-split mean of the feature
        var mean = new double[F];
        var cnt = new long[F];
        for (int r = 0; r < t.Rows; r++)
        {
            if (IsTestUser(s[r])) continue;
            for (int f = 0; f < F; f++) { var v = x[(long)r * F + f]; if (!float.IsNaN(v)) { mean[f] += v; cnt[f]++; } }
        }
        for (int f = 0; f < F; f++) mean[f] = cnt[f] > 0 ? mean[f] / cnt[f] : 0;
        long imputed = 0;
        for (long k = 0; k < x.Length; k++)
            if (float.IsNaN(x[k])) { x[k] = (float)mean[k % F]; imputed++; }
        var all = new WindowSet(x, y, s, F, 1);
        return new RawDataset
        {
            Name = "wisdm-arff",
            ChannelNames = featureCols.Select(c => t.Attributes[c].Name).ToArray(),
            ClassNames = classNames,
            SamplingRateHz = 0,
            Train = all.Where(u => !IsTestUser(u)),
            Test = all.Where(IsTestUser),
            Counters =
            [
                new("rows", t.Rows),
                new("features", F),
                new("missing_values_imputed", imputed),
            ],
        };
    }
}

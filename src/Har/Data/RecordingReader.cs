using System.Text;

namespace HarFromScratch.Har.Data;

/// <summary>
/// A recording to classify (`har predict`): a text table with one row per sample, at the rate the model was trained
/// at. Fields are separated by commas, semicolons, tabs or spaces (decided by the first row); lines that start with
/// '#' are comments; the file may be gzipped (.gz). A first row with a field that is not a number is a header: its
/// names pick the model's channels, in any order, and other columns (a timestamp, a label) are ignored. Without a
/// header the table must hold exactly the model's channels, in the model's order. A caller may offer other channel
/// sets to read instead (the raw channels a dataset's are derived from); the first set the table holds is read.
/// </summary>
public static class RecordingReader
{
    /// <summary>
    /// Reads the first of the channel sets that the table holds: with a header, the first set whose channels all have a
    /// column; without one, the first set with as many channels as the table has columns. <paramref name="chosen"/> is its
    /// index; the samples are sample-major over that set's channels (<c>[t * C + c]</c>), and <paramref name="samples"/>
    /// is how many rows there were.
    /// </summary>
    public static float[] Read(string path, IReadOnlyList<IReadOnlyList<string>> sets, out int chosen, out int samples)
    {
        if (sets.Count == 0) throw new ArgumentException("no channel set to read", nameof(sets));
        chosen = 0;
        var channels = sets[0];
        var data = TextParse.ReadAll(path);
        int pos = 0;
        long lineNo = 0;
        byte sep = 0;
        int[]? columnOf = null;      // the file's column of each model channel
        int fields = -1;             // fields per row, fixed by the first row
        var values = new List<float>(1 << 16);
        samples = 0;
        var row = new List<Range>();
        while (TextParse.NextLine(data, ref pos, out var line))
        {
            lineNo++;
            if (TextParse.IsBlank(line) || line.TrimStart(" \t"u8)[0] == (byte)'#') continue;
            if (sep == 0) sep = line.Contains((byte)',') ? (byte)',' : line.Contains((byte)';') ? (byte)';' : (byte)' ';
            Split(line, sep, row);
            if (columnOf == null)
            {
                fields = row.Count;
                bool header = false;
                foreach (var f in row) header |= !TextParse.TryFloat(line[f], out _);
                if (header)
                {
                    var names = new List<string>(row.Count);
                    foreach (var f in row) names.Add(Encoding.Latin1.GetString(line[f]));
                    columnOf = MapHeader(names, sets, path, lineNo, out chosen);
                }
                else columnOf = NoHeader(row.Count, sets, path, lineNo, out chosen);
                channels = sets[chosen];
                if (header) continue;
            }
            if (row.Count != fields)
                throw new HarDataException($"{row.Count} fields where the first row has {fields}", path, lineNo);
            for (int c = 0; c < columnOf.Length; c++)
            {
                var field = line[row[columnOf[c]]];
                if (!TextParse.TryFloat(field, out var v))
                    throw new HarDataException($"column {columnOf[c] + 1} (channel {channels[c]}): expected a finite number, found '{TextParse.Show(field)}'", path, lineNo);
                values.Add(v);
            }
            samples++;
        }
        if (samples == 0) throw new HarDataException($"no samples: expected rows of the channels {string.Join(", ", channels)}", path);
        return [.. values];
    }

    private static int[] MapHeader(List<string> header, IReadOnlyList<IReadOnlyList<string>> sets, string path, long lineNo, out int chosen)
    {
        var names = header.Select(h => h.Trim()).ToList();
        List<string>? firstMissing = null;
        for (chosen = 0; chosen < sets.Count; chosen++)
        {
            var channels = sets[chosen];
            var columnOf = new int[channels.Count];
            var missing = new List<string>();
            for (int c = 0; c < channels.Count; c++)
            {
                var hits = Enumerable.Range(0, names.Count).Where(i => string.Equals(names[i], channels[c], StringComparison.OrdinalIgnoreCase)).ToList();
                if (hits.Count > 1) throw new HarDataException($"the header names channel '{channels[c]}' {hits.Count} times (columns {string.Join(", ", hits.Select(i => i + 1))})", path, lineNo);
                if (hits.Count == 0) missing.Add(channels[c]);
                else columnOf[c] = hits[0];
            }
            if (missing.Count == 0) return columnOf;
            firstMissing ??= missing;
        }
        var alternatives = string.Concat(sets.Skip(1).Select(s => $", or the raw channels {string.Join(", ", s)}"));
        throw new HarDataException($"the header has no column for the model's channel{(firstMissing!.Count > 1 ? "s" : "")} {string.Join(", ", firstMissing)}; "
            + $"the model reads {string.Join(", ", sets[0])}{alternatives}; the header has {string.Join(", ", names.Select(Show))}", path, lineNo);
    }

    private static int[] NoHeader(int fields, IReadOnlyList<IReadOnlyList<string>> sets, string path, long lineNo, out int chosen)
    {
        for (chosen = 0; chosen < sets.Count; chosen++)
            if (sets[chosen].Count == fields) return Enumerable.Range(0, fields).ToArray();
        var alternatives = string.Concat(sets.Skip(1).Select(s => $", or the {s.Count} raw channels {string.Join(", ", s)}"));
        throw new HarDataException($"{fields} columns and no header; without a header the columns must be the model's {sets[0].Count} channels "
            + $"in order ({string.Join(", ", sets[0])}){alternatives}, or give a header row that names them", path, lineNo);
    }

    /// <summary>A row's fields as ranges of the line: split at the separator (at runs of spaces and tabs for ' '),
    /// each trimmed of spaces and surrounding quotes.</summary>
    private static void Split(ReadOnlySpan<byte> line, byte sep, List<Range> row)
    {
        row.Clear();
        int i = 0;
        while (i <= line.Length)
        {
            if (sep == (byte)' ')
            {
                while (i < line.Length && line[i] is (byte)' ' or (byte)'\t') i++;
                if (i == line.Length) break;
            }
            int end = i;
            while (end < line.Length && (sep == (byte)' ' ? line[end] is not ((byte)' ' or (byte)'\t') : line[end] != sep)) end++;
            int a = i, b = end;
            while (a < b && line[a] is (byte)' ' or (byte)'\t' or (byte)'"') a++;
            while (b > a && line[b - 1] is (byte)' ' or (byte)'\t' or (byte)'"') b--;
            row.Add(a..b);
            i = end + 1;
        }
    }

    private static string Show(string s) => TextParse.Show(Encoding.Latin1.GetBytes(s));
}

using System.Diagnostics;

namespace HarFromScratch.Engine.Autograd;

/// <summary>
/// Time per op kind while open: forward time is the time between consecutive op records (each op records
/// itself right after computing its result), backward time is measured around each node's backward closure.
/// For "where does a training step go" questions; costs nothing when no profiler is open.
/// </summary>
public sealed class OpProfiler : IDisposable
{
    [ThreadStatic] private static OpProfiler? _current;
    private readonly Dictionary<string, (double fwdMs, double bwdMs, int calls)> _ops = new();
    private long _mark = Stopwatch.GetTimestamp();

    public static OpProfiler Begin() => _current = new OpProfiler();

    internal static void ForwardDone(string op)
    {
        var p = _current;
        if (p == null || p._inBackward) return; // ops run inside a backward closure count as that node's backward
        long now = Stopwatch.GetTimestamp();
        var (f, b, c) = p._ops.GetValueOrDefault(op);
        p._ops[op] = (f + Stopwatch.GetElapsedTime(p._mark, now).TotalMilliseconds, b, c + 1);
        p._mark = Stopwatch.GetTimestamp();
    }

    private bool _inBackward;

    internal static long BackwardStart()
    {
        if (_current == null) return 0;
        _current._inBackward = true;
        return Stopwatch.GetTimestamp();
    }

    internal static void BackwardDone(string op, long start)
    {
        var p = _current;
        if (p == null) return;
        var (f, b, c) = p._ops.GetValueOrDefault(op);
        p._ops[op] = (f, b + Stopwatch.GetElapsedTime(start).TotalMilliseconds, c);
        p._inBackward = false;
        p._mark = Stopwatch.GetTimestamp();
    }

    /// <summary>Restarts the forward clock (call after work that is not an op, e.g. data loading).</summary>
    public void Mark() => _mark = Stopwatch.GetTimestamp();

    /// <summary>Per op: forward ms, backward ms, calls; sorted by total time.</summary>
    public IReadOnlyList<(string op, double forwardMs, double backwardMs, int calls)> Results =>
        _ops.Select(kv => (kv.Key, kv.Value.fwdMs, kv.Value.bwdMs, kv.Value.calls)).OrderByDescending(r => r.fwdMs + r.bwdMs).ToList();

    public string Table()
    {
        var rows = Results;
        double total = rows.Sum(r => r.forwardMs + r.backwardMs);
        var sb = new System.Text.StringBuilder();
        sb.AppendLine("| op | calls | forward ms | backward ms | share |").AppendLine("|---|---:|---:|---:|---:|");
        foreach (var r in rows)
            sb.AppendLine(FormattableString.Invariant($"| {r.op} | {r.calls} | {r.forwardMs:F2} | {r.backwardMs:F2} | {(r.forwardMs + r.backwardMs) / Math.Max(total, 1e-9):P1} |"));
        return sb.ToString();
    }

    public void Dispose()
    {
        if (_current == this) _current = null;
    }
}

using System.Diagnostics;
using System.Globalization;

namespace HarFromScratch.Har.Distillation.Experiments;

/// <summary>
/// A claim on one grid cell by one worker process: the file DIR.lock, created with create-new semantics so that of
/// several workers exactly one succeeds. It holds "PID HOST" so a claim whose process is gone (killed, crashed) can
/// be recognised and taken over; disposing the claim deletes the file.
/// </summary>
public sealed class CellLock : IDisposable
{
    private readonly string _path;
    private CellLock(string path) => _path = path;

    public static string PathFor(string cellDir) => cellDir.TrimEnd('/', '\\') + ".lock";

    /// <summary>The claim, or null when a live worker holds the cell.</summary>
    public static CellLock? TryClaim(string cellDir)
    {
        var path = PathFor(cellDir);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        for (int attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                using (var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                using (var w = new StreamWriter(f))
                    w.Write(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {Environment.MachineName}"));
                return new CellLock(path);
            }
            catch (IOException) when (File.Exists(path))
            {
                if (HolderAlive(path)) return null;
                try { File.Delete(path); } catch (IOException) { return null; }   // stale: take it over (once)
            }
        }
        return null;
    }

    /// <summary>Whether the process named in a lock file still runs. A lock from another machine (a shared folder) or one
    /// being written right now counts as alive.</summary>
    private static bool HolderAlive(string path)
    {
        string[] parts;
        try { parts = File.ReadAllText(path).Split(' ', 2); }
        catch (IOException) { return true; }
        if (parts.Length < 2 || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int pid)) return true;
        if (parts[1] != Environment.MachineName) return true;
        try { using var p = Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
    }

    public void Dispose()
    {
        try { File.Delete(_path); } catch (IOException) { }
    }
}

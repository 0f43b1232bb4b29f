namespace HarFromScratch.Har.Data;

/// <summary>
/// The one exception type of the data layer. Every problem with input data (missing file, bad number,
/// wrong column count, label outside the class set, corrupt archive or cache, ...) surfaces as this
/// exception, with a message that names the file, the line (when there is one) and what was expected.
/// </summary>
public sealed class HarDataException : Exception
{
    /// <summary>File the problem was found in, when known.</summary>
    public string? FilePath { get; }

    /// <summary>1-based line number, when the problem is tied to a line.</summary>
    public long? LineNumber { get; }

    public HarDataException(string message, string? file = null, long? line = null, Exception? inner = null)
        : base(Compose(message, file, line), inner)
    {
        FilePath = file;
        LineNumber = line;
    }

    private static string Compose(string message, string? file, long? line)
    {
        if (file is null) return message;
        return line is long l ? $"{file}:{l}: {message}" : $"{file}: {message}";
    }
}

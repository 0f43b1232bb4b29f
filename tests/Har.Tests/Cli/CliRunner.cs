using HarFromScratch.Har.Cli;

namespace HarFromScratch.Har.Tests.Cli;

/// <summary>Runs the `har` command in-process and captures its exit code and output.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) RunHar(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = HarCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}

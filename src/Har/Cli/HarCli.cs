namespace HarFromScratch.Har.Cli;

/// <summary>Entry point of the `har` command; subcommands are registered here.</summary>
public static class HarCli
{
    public static int Run(string[] args)
    {
        Console.WriteLine("har: HarFromScratch command line (subcommands arrive with the data and training issues)");
        return 0;
    }
}

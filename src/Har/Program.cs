namespace HarFromScratch.Har;

public static class Program
{
    public static int Main(string[] args) => Cli.HarCli.Run(args);
}

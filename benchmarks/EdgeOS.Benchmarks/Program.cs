using BenchmarkDotNet.Running;

namespace EdgeOS.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project benchmarks/EdgeOS.Benchmarks -- --filter '*Capability*'</c> for
/// BenchmarkDotNet suites, or <c>-- xproc</c> for the cross-process channel comparison (which starts this program
/// again as <c>xproc-child</c>).
/// </summary>
public static class Program
{
    /// <summary>Runs the benchmarks selected on the command line (BenchmarkDotNet's switcher) or a comparison program.</summary>
    public static int Main(string[] args)
    {
        switch (args.Length > 0 ? args[0] : "")
        {
            case "xproc":
                return CrossProcess.CrossProcessComparison.Run(args);
            case "xproc-child":
                return CrossProcess.CrossProcessComparison.RunChild(args);
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                return 0;
        }
    }
}

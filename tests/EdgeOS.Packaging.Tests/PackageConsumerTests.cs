using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace EdgeOS.Packaging.Tests;

/// <summary>
/// Packs the shipping libraries the way a release does (<c>dotnet pack -c Release</c>) and proves that a
/// project outside this repository can restore them from a local feed, build and run against them, including the
/// EdgeOS.Core example of README.md (compiled and run verbatim by the consumer).
/// </summary>
public sealed partial class PackageConsumerTests
{
    private static readonly string[] s_packageIds = ["EdgeOS.Core", "EdgeOS.Fwp", "EdgeOS.Net"];

    [Theory]
    [InlineData("EdgeOS.Core", "CowImage.Create(")]
    [InlineData("EdgeOS.Fwp", "FwpTemplate.Create<")]
    [InlineData("EdgeOS.Net", "MemoryPort.CreatePair(")]
    public void ReadmeHasAnExamplePerPackage(string section, string expectedCall)
    {
        string source = ReadmeExampleSource(File.ReadAllText(Path.Combine(FindRepositoryRoot(), "README.md")), section);

        Assert.Contains($"using {section}", source, StringComparison.Ordinal);
        Assert.Contains(expectedCall, source, StringComparison.Ordinal);
        Assert.Contains($"internal static class {ExampleClassName(section)}\n{{\n    public static void Run()", source, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadmeExampleExtractionKeepsTheCodeVerbatimAndHoistsUsingDirectivesAndTypes()
    {
        const string Readme = """
            # Title

            ## EdgeOS.Core

            ```csharp
            using EdgeOS.Core.Memory;
            using static System.Math;

            using CowImage image = CowImage.Create(templateBytes);   // a using declaration stays in the body
            ```

            Between blocks.

            ```csharp
            var program = new Program();

            sealed class Program { }
            ```

            ## EdgeOS.Fwp

            ```csharp
            var other = 1;
            ```
            """;

        string source = ReadmeExampleSource(Readme, "EdgeOS.Core");

        Assert.StartsWith("// Generated", source, StringComparison.Ordinal);
        Assert.Contains("\nusing EdgeOS.Core.Memory;\nusing static System.Math;\n", source, StringComparison.Ordinal);
        Assert.Contains("\n        using CowImage image = CowImage.Create(templateBytes);   // a using declaration stays in the body\n", source, StringComparison.Ordinal);
        Assert.Contains("\n        var program = new Program();\n", source, StringComparison.Ordinal);
        Assert.EndsWith("}\n\nsealed class Program { }\n", source, StringComparison.Ordinal);
        Assert.DoesNotContain("other", source, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => ReadmeExampleSource("# Title\n\n## EdgeOS.Core\n\nNo code.\n", "EdgeOS.Core"));
        Assert.Throws<InvalidOperationException>(() => ReadmeExampleSource(Readme, "EdgeOS.Net"));
    }

    [Fact]
    public void PackagesCarryMetadataAndWorkFromALocalFeed()
    {
        string root = FindRepositoryRoot();
        string work = Path.Combine(Path.GetTempPath(), "edgeos-packaging-" + Guid.NewGuid().ToString("N"));
        string feed = Path.Combine(work, "feed");
        Directory.CreateDirectory(feed);
        try
        {
            // Only the shipping libraries (a solution filter), so that running test assemblies are never rebuilt under us.
            Run("dotnet", ["pack", Path.Combine(root, "EdgeOS.Packages.slnf"), "-c", "Release", "-o", feed, "-nologo"], root);

            string version = "";
            foreach (string id in s_packageIds)
            {
                string nupkg = Assert.Single(Directory.GetFiles(feed, id + ".*.nupkg"), p => !p.EndsWith(".symbols.nupkg", StringComparison.Ordinal));
                string fileVersion = Path.GetFileNameWithoutExtension(nupkg)[(id.Length + 1)..];
                Assert.True(File.Exists(Path.Combine(feed, $"{id}.{fileVersion}.snupkg")), $"{id} has no symbol package");
                version = fileVersion;
                AssertPackageMetadata(nupkg, id);
            }

            string consumer = Path.Combine(work, "consumer");
            Directory.CreateDirectory(consumer);
            string source = Path.Combine(AppContext.BaseDirectory, "Consumer");
            File.Copy(Path.Combine(source, "Program.cs"), Path.Combine(consumer, "Program.cs"));

            // The README's examples, compiled and run by the consumer: a README edit that breaks one fails here.
            string readme = File.ReadAllText(Path.Combine(root, "README.md"));
            foreach (string id in s_packageIds)
            {
                File.WriteAllText(Path.Combine(consumer, ExampleClassName(id) + ".cs"), ReadmeExampleSource(readme, id));
            }

            File.WriteAllText(
                Path.Combine(consumer, "Consumer.csproj"),
                File.ReadAllText(Path.Combine(source, "Consumer.csproj.template")).Replace("@VERSION@", version, StringComparison.Ordinal));
            // EdgeOS.* only from the local feed (never from the source tree); their third-party dependencies
            // (Microsoft.Extensions.* of EdgeOS.Fwp) from this machine's package cache, which the build filled.
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="cache" value="{cache}" />
                  </packageSources>
                  <packageSourceMapping>
                    <packageSource key="local">
                      <package pattern="EdgeOS.*" />
                    </packageSource>
                    <packageSource key="cache">
                      <package pattern="*" />
                    </packageSource>
                  </packageSourceMapping>
                  <config>
                    <add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" />
                  </config>
                </configuration>
                """);

            string output = Run("dotnet", ["run", "-c", "Release", "--project", Path.Combine(consumer, "Consumer.csproj")], consumer);
            Assert.Contains("readme examples: ok", output, StringComparison.Ordinal);
            Assert.Contains("consumer: ok", output, StringComparison.Ordinal);
            Assert.True(Directory.Exists(Path.Combine(work, "packages", "edgeos.core", version)), "EdgeOS.Core was not restored from the local feed");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// The C# code blocks of README.md's section <paramref name="section"/> (a "## " heading) as one source file: their
    /// using directives at the top, their statements verbatim in the body of <c>ReadmeExample_X.Run()</c>, and their
    /// type declarations (from a line that starts a type at column 0 to the end of its code block) after that class.
    /// </summary>
    private static string ReadmeExampleSource(string readme, string section)
    {
        string[] lines = readme.ReplaceLineEndings("\n").Split('\n');
        int start = Array.FindIndex(lines, line => line.Trim() == "## " + section);
        if (start < 0)
        {
            throw new InvalidOperationException($"README.md has no \"## {section}\" section.");
        }

        var directives = new List<string>();
        var body = new List<string>();
        var types = new List<string>();
        bool inCode = false;
        bool inTypes = false;
        for (int i = start + 1; i < lines.Length && !lines[i].StartsWith("## ", StringComparison.Ordinal); i++)
        {
            string line = lines[i];
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode && line.Trim() is "```csharp" or "```cs" or "```c#";
                inTypes = false;
                continue;
            }

            if (!inCode)
            {
                continue;
            }

            inTypes |= TypeDeclaration().IsMatch(line);
            (inTypes ? types : UsingDirective().IsMatch(line) ? directives : body).Add(line);
        }

        if (body.All(string.IsNullOrWhiteSpace))
        {
            throw new InvalidOperationException($"README.md's {section} section has no C# code block.");
        }

        var source = new StringBuilder();
        source.Append($"// Generated by the packaging test from the {section} section of README.md.\n");
        foreach (string directive in directives)
        {
            source.Append(directive.Trim()).Append('\n');
        }

        source.Append($"\ninternal static class {ExampleClassName(section)}\n{{\n    public static void Run()\n    {{\n");
        foreach (string line in body)
        {
            source.Append(line.Length == 0 ? string.Empty : "        " + line).Append('\n');
        }

        source.Append("    }\n}\n");
        if (types.Count > 0)
        {
            source.Append('\n');
            foreach (string line in types)
            {
                source.Append(line).Append('\n');
            }
        }

        return source.ToString();
    }

    private static string ExampleClassName(string section) => "ReadmeExample_" + section.Replace("EdgeOS.", "", StringComparison.Ordinal);

    // The start of a type declaration at column 0 (a README example declares its program types after its statements).
    [GeneratedRegex(@"^(public |internal |file )?(static |sealed |abstract |readonly |ref |partial )*(class|struct|record|interface|enum) [A-Za-z_]")]
    private static partial Regex TypeDeclaration();

    // A using directive (namespace, static or alias), not a using declaration such as "using CowView view = ...;".
    [GeneratedRegex(@"^\s*using\s+(static\s+)?([A-Za-z_][A-Za-z0-9_]*\s*=\s*)?[A-Za-z_][A-Za-z0-9_.]*\s*;\s*(//.*)?$")]
    private static partial Regex UsingDirective();

    private static void AssertPackageMetadata(string nupkg, string id)
    {
        using ZipArchive zip = ZipFile.OpenRead(nupkg);
        ZipArchiveEntry nuspecEntry = Assert.Single(zip.Entries, e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = nuspecEntry.Open();
        XElement metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Field(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";

        Assert.Equal(id, Field("id"));
        Assert.Equal("MIT", Field("license"));
        Assert.Equal("README.md", Field("readme"));
        Assert.False(string.IsNullOrWhiteSpace(Field("description")), $"{id} has no description");
        Assert.Contains("edge", Field("tags"), StringComparison.Ordinal);
        XElement? repository = metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "repository");
        Assert.True(repository?.Attribute("commit")?.Value.Length == 40, $"{id} does not record the source commit (SourceLink)");
        Assert.Contains(zip.Entries, e => e.FullName == "README.md");
        Assert.Contains(zip.Entries, e => e.FullName == $"lib/net10.0/{id}.dll");
        Assert.Contains(zip.Entries, e => e.FullName == $"lib/net10.0/{id}.xml");
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeOS.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"EdgeOS.sln not found above {AppContext.BaseDirectory}");
    }

    private static string Run(string fileName, string[] arguments, string workingDirectory)
    {
        ProcessStartInfo info = new(fileName, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The outer `dotnet test` sets MSBuild variables that must not leak into the nested builds.
        info.Environment.Remove("MSBuildExtensionsPath");
        info.Environment.Remove("MSBuildSDKsPath");
        info.Environment.Remove("MSBUILD_EXE_PATH");
        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in 5 minutes");
        }

        string output = stdout.Result + stderr.Result;
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{output}");
        return output;
    }
}

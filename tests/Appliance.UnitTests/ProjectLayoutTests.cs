using System.Xml.Linq;

namespace Appliance.UnitTests;

/// <summary>
/// Tests by kind: only the end-to-end tests (with their harness), the benchmarks and the crash
/// harness may reach the executable projects (the demo, the firmware, the host's web app);
/// unit tests and the test kit build against the libraries alone.
/// </summary>
public sealed class ProjectLayoutTests
{
    private static readonly string[] Executables = ["Appliance.Demo", "Appliance.Firmware", "Appliance.Host.Web"];
    private static readonly string[] MayReachThem = ["Appliance.EndToEndTests", "Appliance.EndToEndKit", "Appliance.Benchmarks", "Appliance.CrashHarness"];

    private static string RepositoryRoot() => Appliance.TestFixtures.RepositoryFolder.Root();

    /// <summary>Every project a project reaches through its project references, itself excluded.</summary>
    private static HashSet<string> Closure(string project)
    {
        var reached = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var path))
        {
            foreach (var reference in XDocument.Load(path).Descendants("ProjectReference"))
            {
                var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, reference.Attribute("Include")!.Value.Replace('\\', '/')));
                if (reached.Add(Path.GetFileNameWithoutExtension(target)))
                {
                    pending.Push(target);
                }
            }
        }

        return reached;
    }

    [Fact]
    public void OnlyEndToEndTestsBenchmarksAndTheCrashHarness_ReachTheExecutableProjects()
    {
        var tests = Directory.GetFiles(Path.Combine(RepositoryRoot(), "tests"), "*.csproj", SearchOption.AllDirectories);
        Assert.Contains(tests, t => Path.GetFileNameWithoutExtension(t) == "Appliance.UnitTests");
        Assert.Contains(tests, t => Path.GetFileNameWithoutExtension(t) == "Appliance.EndToEndTests" && Closure(t).Contains("Appliance.Demo"));

        var offenders = tests
            .Where(t => !MayReachThem.Contains(Path.GetFileNameWithoutExtension(t)))
            .Select(t => (Project: Path.GetFileNameWithoutExtension(t), Reaches: Closure(t).Intersect(Executables).ToList()))
            .Where(p => p.Reaches.Count > 0)
            .Select(p => $"{p.Project} reaches {string.Join(", ", p.Reaches)}")
            .ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void TestKit_HoldsNamedFakesOnly()
    {
        // Test data lives in Appliance.TestData and fixtures in Appliance.TestFixtures: a newcomer
        // looking for a stand-in for a seam finds every one here, under one naming rule.
        var types = typeof(Appliance.TestKit.FakeSeriesStore).Assembly.GetExportedTypes().Where(t => t.DeclaringType is null).ToList();
        Assert.Contains(types, t => t.Name == "FakeHostChannel");
        Assert.Empty(types.Where(t => !t.Name.StartsWith("Fake", StringComparison.Ordinal)).Select(t => t.FullName));
    }

    [Fact]
    public void EveryWebProject_RunsWhereDotnetRunIsCalled_SoTheReadmesRelativePathsMeanWhatTheySay()
    {
        // The web SDK runs `dotnet run` in the project's folder unless told otherwise: the README's
        // data/ and every file argument would land in the source tree, the host's CA key with them.
        var web = Directory.GetFiles(Path.Combine(RepositoryRoot(), "host"), "*.csproj", SearchOption.AllDirectories)
            .Select(XDocument.Load)
            .Where(p => p.Root!.Attribute("Sdk")?.Value == "Microsoft.NET.Sdk.Web")
            .ToList();
        Assert.NotEmpty(web);
        Assert.All(web, p => Assert.Equal("$(MSBuildStartupDirectory)", p.Descendants("RunWorkingDirectory").SingleOrDefault()?.Value));
    }
}

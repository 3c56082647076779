using System.Text.RegularExpressions;

namespace Appliance.EndToEndTests;

/// <summary>
/// The clinical safety file stays true to the code: the hazard log has at least fifteen hazards
/// numbered H-1 upwards without a gap, every row names at least one control test, and every test a
/// control names exists in the test projects (a renamed or deleted test fails here, not silently
/// in a trust's review).
/// </summary>
public sealed partial class ClinicalSafetyFileTests
{
    private static string SafetyFile(string name) => Path.Combine(Builds.RepositoryRoot, "docs", "clinical-safety", name);

    [Fact]
    public async Task TheHazardLog_NumbersItsHazards_AndEveryControlNamesATestThatExists()
    {
        var rows = (await File.ReadAllLinesAsync(SafetyFile("hazard-log.md"))).Where(l => l.StartsWith("| H-", StringComparison.Ordinal)).ToList();
        Assert.True(rows.Count >= 15, $"{rows.Count} hazards");
        Assert.Equal(Enumerable.Range(1, rows.Count).Select(n => $"H-{n}"), rows.Select(r => HazardId().Match(r).Groups[1].Value));

        var tests = TestsInTheRepository();
        foreach (var row in rows)
        {
            var cited = CitedTest().Matches(row).Select(m => m.Groups[1].Value).ToList();
            Assert.True(cited.Count > 0, $"{row[..8]} names no test");
            Assert.All(cited, test => Assert.True(tests.Contains(test), $"{row[..8]} names {test}, which no test project has"));
        }
    }

    [Fact]
    public void ThePlanAndTheSafetyCaseReport_AreThere_AndTheReportArguesFromTheLog()
    {
        Assert.Contains("hazard-log.md", File.ReadAllText(SafetyFile("clinical-risk-management-plan.md")), StringComparison.Ordinal);
        var report = File.ReadAllText(SafetyFile("safety-case-report.md"));
        var open = File.ReadAllLines(SafetyFile("hazard-log.md")).Where(l => l.StartsWith("| H-", StringComparison.Ordinal) && l.Contains("| open", StringComparison.Ordinal))
            .Select(l => HazardId().Match(l).Groups[1].Value);
        // Every hazard still open is argued in the report, not left for a reviewer to find.
        Assert.All(open, id => Assert.Contains(id, report, StringComparison.Ordinal));
    }

    /// <summary>
    /// Every <c>Class.Method</c> declared as a public test method in the test projects' sources,
    /// under the class it is declared in (a contract's tests under the contract) and under its
    /// file's name (where a suite's variants are declared beside it).
    /// </summary>
    private static HashSet<string> TestsInTheRepository()
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Builds.RepositoryRoot, "tests"), "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var source = File.ReadAllText(file);
            var classes = ClassDeclaration().Matches(source);
            foreach (Match method in TestMethod().Matches(source))
            {
                found.Add($"{Path.GetFileNameWithoutExtension(file)}.{method.Groups[1].Value}");
                if (classes.LastOrDefault(c => c.Index < method.Index) is { } declaring)
                {
                    found.Add($"{declaring.Groups[1].Value}.{method.Groups[1].Value}");
                }
            }
        }

        return found;
    }

    [Theory]
    [InlineData("etsi-en-303-645.md")]
    [InlineData("dtac.md")]
    public async Task TheConformanceTables_NameOnlyTestsThatExist(string document)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(Builds.RepositoryRoot, "docs", "conformance", document));
        var cited = CitedTest().Matches(text).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(cited);
        var tests = TestsInTheRepository();
        Assert.All(cited, test => Assert.True(tests.Contains(test), $"{document} names {test}, which no test project has"));
    }

    [GeneratedRegex(@"\bclass ([A-Z][A-Za-z0-9]+)")]
    private static partial Regex ClassDeclaration();

    [GeneratedRegex(@"^\| (H-\d+) \|")]
    private static partial Regex HazardId();

    [GeneratedRegex(@"`([A-Z][A-Za-z0-9]+\.[A-Z][A-Za-z0-9_]+)`")]
    private static partial Regex CitedTest();

    [GeneratedRegex(@"\[(?:Fact|Theory)[^\]]*\]\s*(?:\[[^\]]*\]\s*)*public (?:async Task|void) ([A-Za-z0-9_]+)\(")]
    private static partial Regex TestMethod();
}

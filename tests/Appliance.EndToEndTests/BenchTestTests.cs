using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

/// <summary>
/// The tests that only a Pi can pass are all in the Hardware category, every one of them is in
/// hardware/bench-test.md's list (and nothing else is), and the test command leaves that
/// category out by name: so a new hardware test is neither run where it must fail nor
/// forgotten on the bench.
/// </summary>
public sealed partial class BenchTestTests
{
    [GeneratedRegex(@"^\| `(\w+)\.(\w+)` \|", RegexOptions.Multiline)]
    private static partial Regex ListedTest();

    [Fact]
    public void EveryHardwareTest_IsInItsCategory_ListedInTheBenchTest_AndLeftOutOfTheTestCommand()
    {
        var tests = HardwareTests();
        Assert.NotEmpty(tests);
        Assert.All(tests, t => Assert.True(t.Category == "Hardware", $"{t.Class}.{t.Method} is not in the Hardware category: the test command would run it"));

        var benchTest = File.ReadAllText(Path.Combine(Builds.RepositoryRoot, "hardware", "bench-test.md"));
        var listed = ListedTest().Matches(benchTest).Select(m => $"{m.Groups[1].Value}.{m.Groups[2].Value}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(tests.Select(t => $"{t.Class}.{t.Method}").Distinct().Order(StringComparer.Ordinal), listed);
        Assert.Contains("dotnet test tests/Appliance.HardwareTests --filter Category=Hardware", benchTest, StringComparison.Ordinal);

        var command = File.ReadAllText(Path.Combine(Builds.RepositoryRoot, "tests", "run.sh"));
        Assert.Matches(@"(?m)^dotnet test ApplianceSuite\.sln .*--filter ""Category!=Hardware""", command);
    }

    /// <summary>Every test method of the hardware tests' build, inherited ones included, with the category its class or method carries.</summary>
    private static List<(string Class, string Method, string? Category)> HardwareTests()
    {
        var context = new AssemblyLoadContext("hardware-tests", isCollectible: true);
        try
        {
            var folder = Path.GetDirectoryName(Builds.HardwareTests())!;
            context.Resolving += (c, name) => File.Exists(Path.Combine(folder, $"{name.Name}.dll")) ? c.LoadFromAssemblyPath(Path.Combine(folder, $"{name.Name}.dll")) : null;
            var assembly = context.LoadFromAssemblyPath(Builds.HardwareTests());
            static string? CategoryOf(MemberInfo member) => member.GetCustomAttributesData()
                .Where(a => a.AttributeType.FullName == "Xunit.TraitAttribute" && (string?)a.ConstructorArguments[0].Value == "Category")
                .Select(a => (string?)a.ConstructorArguments[1].Value)
                .FirstOrDefault();
            return [.. assembly.GetTypes()
                .Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true })
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance)
                    .Where(m => m.GetCustomAttributesData().Any(a => a.AttributeType.FullName is "Xunit.FactAttribute" or "Xunit.TheoryAttribute"))
                    .Select(m => (t.Name, m.Name, CategoryOf(m) ?? CategoryOf(t))))];
        }
        finally
        {
            context.Unload();
        }
    }
}

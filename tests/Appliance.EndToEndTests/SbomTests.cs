using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

/// <summary>
/// The software bill of materials as <c>.ci/sbom.sh</c> writes it, checked against what the
/// solution actually restores: every package any shipped project (firmware/, host/) restores is
/// in a bill, at the version restored, with its hash. Only the test projects' own tools are left out.
/// </summary>
public sealed partial class SbomTests
{
    [GeneratedRegex("^Project\\(\"[^\"]+\"\\) = \"[^\"]+\", \"([^\"]+\\.csproj)\"", RegexOptions.Multiline)]
    private static partial Regex SolutionProject();

    [Fact]
    public async Task TheBills_ListEveryPackageTheShippedProjectsRestore_WithItsVersionAndHash()
    {
        using var folder = new TempFolder("sbom");
        await RunScriptAsync(folder.Path);
        var boms = new Dictionary<string, JsonElement>
        {
            ["firmware/Appliance.Firmware/Appliance.Firmware.csproj"] = Load(folder.Combine("appliance-firmware.cdx.json")),
            ["host/Appliance.Host.Web/Appliance.Host.Web.csproj"] = Load(folder.Combine("appliance-host.cdx.json")),
        };

        foreach (var (project, bom) in boms)
        {
            Assert.Equal("1.7", bom.GetProperty("specVersion").GetString());
            var listed = Packages(bom);
            var restored = Restored(project);
            Assert.NotEmpty(restored);
            var missing = restored.Where(p => !listed.ContainsKey(p.Key) || listed[p.Key].Version != p.Value).Select(p => $"{p.Key} {p.Value}").ToList();
            Assert.True(missing.Count == 0, $"{project}'s bill lacks: {string.Join(", ", missing)}");
            Assert.All(listed.Values, c => Assert.True(c.Hashed, $"{c.Purl} has no SHA-512"));
        }

        // Every package the solution restores for something that ships is in one bill or the other.
        var shipped = boms.Values.SelectMany(b => Packages(b)).Select(p => $"{p.Key}@{p.Value.Version}").ToHashSet(StringComparer.OrdinalIgnoreCase);
        var projects = SolutionProject().Matches(await File.ReadAllTextAsync(Path.Combine(Builds.RepositoryRoot, "ApplianceSuite.sln")))
            .Select(m => m.Groups[1].Value.Replace('\\', '/'))
            .ToList();
        Assert.Contains("firmware/Appliance.Firmware/Appliance.Firmware.csproj", projects);
        var unlisted = projects.Where(p => !p.StartsWith("tests/", StringComparison.Ordinal))
            .SelectMany(p => Restored(p).Select(r => (Project: p, Package: $"{r.Key}@{r.Value}")))
            .Where(r => !shipped.Contains(r.Package))
            .Select(r => $"{r.Package} (restored by {r.Project})")
            .ToList();
        Assert.True(unlisted.Count == 0, "in no bill: " + string.Join(", ", unlisted));
    }

    private sealed record Component(string Purl, string Version, bool Hashed);

    private static Dictionary<string, Component> Packages(JsonElement bom) =>
        bom.GetProperty("components").EnumerateArray()
            .Where(c => c.TryGetProperty("purl", out var purl) && purl.GetString()!.StartsWith("pkg:nuget/", StringComparison.Ordinal))
            .Select(c => new Component(
                c.GetProperty("purl").GetString()!,
                c.GetProperty("version").GetString()!,
                c.TryGetProperty("hashes", out var hashes) && hashes.EnumerateArray().Any(h => h.GetProperty("alg").GetString() == "SHA-512")))
            .ToDictionary(c => c.Purl["pkg:nuget/".Length..c.Purl.LastIndexOf('@')], c => c, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every package (direct or transitive) NuGet restored for a project, from its assets file.</summary>
    private static Dictionary<string, string> Restored(string project)
    {
        var assets = Path.Combine(Builds.RepositoryRoot, Path.GetDirectoryName(project)!, "obj", "project.assets.json");
        using var document = JsonDocument.Parse(File.ReadAllBytes(assets));
        return document.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(l => l.Value.GetProperty("type").GetString() == "package")
            .Select(l => l.Name.Split('/'))
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
    }

    private static JsonElement Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.Clone();
    }

    private static async Task RunScriptAsync(string output)
    {
        var start = new ProcessStartInfo(Path.Combine(Builds.RepositoryRoot, ".ci", "sbom.sh")) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(output);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(process.ExitCode == 0, $".ci/sbom.sh exited {process.ExitCode}: {await stdout}{await stderr}");
    }
}

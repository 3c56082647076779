namespace Appliance.TestFixtures;

/// <summary>The repository a test or benchmark was built in, for what it runs from the sources (scripts, publishes, the README).</summary>
public static class RepositoryFolder
{
    /// <summary>The folder above the build output that holds the solution.</summary>
    public static string Root()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "ApplianceSuite.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("not built inside the repository (no ApplianceSuite.sln above the build output)");
    }
}

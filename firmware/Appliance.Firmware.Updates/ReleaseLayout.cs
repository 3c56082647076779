using Appliance.Firmware.Storage;
using Appliance.Protocol;
using Appliance.Protocol.Releases;

namespace Appliance.Firmware.Updates;

/// <summary>
/// Where the releases live: <c>releases/{version}</c> each a whole firmware folder, and two
/// symbolic links, <c>current</c> (what the unit starts) and <c>previous</c> (what a rollback
/// returns to). Each link is replaced by a rename, which is atomic: whenever the power goes,
/// <c>current</c> names one whole release.
/// </summary>
public sealed record ReleaseLayout(string Root)
{
    public string Releases => Path.Combine(Root, "releases");

    public string Current => Path.Combine(Root, "current");

    public string Previous => Path.Combine(Root, "previous");

    public string FolderOf(string version) => Path.Combine(Releases, version);

    /// <summary>The version <c>current</c> names, or null before the first release.</summary>
    public string? CurrentVersion => VersionOf(Current);

    public string? PreviousVersion => VersionOf(Previous);

    /// <summary>The manifest an install leaves in each release's folder: how a running firmware knows its version.</summary>
    public const string ManifestFileName = "release-manifest.json";

    /// <summary>The version of the release in <paramref name="folder"/> (a running firmware's base directory), or null when it was not installed from a package.</summary>
    public static string? VersionIn(string folder)
    {
        var path = Path.Combine(folder, ManifestFileName);
        return File.Exists(path) && ProtocolJson.TryDeserialize<ReleaseManifest>(File.ReadAllBytes(path), out var manifest, out _) ? manifest.Version : null;
    }

    /// <summary>Replaces <paramref name="link"/> with one to <paramref name="target"/> by a rename: never absent, never half made.</summary>
    public void Point(string link, string target)
    {
        var next = link + ".next";
        File.Delete(next);
        File.CreateSymbolicLink(next, Path.GetRelativePath(Root, target));
        AtomicRename.Replace(next, link);
        DurableFolder.Flush(Root);
    }

    /// <summary>
    /// Back to the release <c>previous</c> names: <c>current</c> switched by a rename, then
    /// <c>previous</c> removed, so a second rollback cannot return to the release that failed.
    /// False when there is nothing to return to.
    /// </summary>
    public bool RollBack()
    {
        if (PreviousVersion is not { } previous || !Directory.Exists(FolderOf(previous)))
        {
            return false;
        }

        Point(Current, FolderOf(previous));
        File.Delete(Previous);
        DurableFolder.Flush(Root);
        return true;
    }

    private static string? VersionOf(string link) =>
        new FileInfo(link).LinkTarget is { } target ? Path.GetFileName(target.TrimEnd('/')) : null;
}

namespace Appliance.Firmware.Core;

/// <summary>
/// Where the appliance keeps what a wipe destroys: the data folder, the bundle in it, and the
/// camera scratch folders; the integrity checks watch the data folder's permissions.
/// </summary>
public sealed record WipePaths(string DataFolder, string BundlePath, IReadOnlyList<string> ScratchFolders)
{
    /// <summary>How every camera names a frame in its scratch folder, so a sweep or a wipe finds what a crash left.</summary>
    public const string ScratchFramePrefix = "appliance-frame-";

    public const string ScratchFramePattern = ScratchFramePrefix + "*";
}

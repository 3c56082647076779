namespace Appliance.Firmware.Core;

/// <summary>
/// Where the appliance keeps what a wipe destroys: the data folder, the bundle in it, and the
/// camera scratch folders; the integrity checks watch the data folder's permissions.
/// </summary>
public sealed record WipePaths(string DataFolder, string BundlePath, IReadOnlyList<string> ScratchFolders);

using System.Text.Json;
using Appliance.Firmware.Storage;
using Appliance.Protocol;
using Appliance.Protocol.Releases;

namespace Appliance.Firmware.Updates;

/// <summary>
/// The release keys this appliance trusts: the bundle's (its anchors) carried forward by the
/// signed rotations it has accepted, which are kept in <c>release-keys.json</c> under the release
/// root (it outlives releases, as the floor does). The kept rotations are checked again from the
/// anchors at every start, so an altered file can only fall back to keys that were trusted before,
/// and a re-enrolment whose bundle is already past a rotation passes over it.
/// </summary>
public sealed class ReleaseKeyRing
{
    public const string FileName = "release-keys.json";

    private readonly string _path;
    private readonly Lock _lock = new();
    private List<SignedKeyRotation> _applied;

    public ReleaseKeyRing(ReleaseKeySet anchors, string root)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        _path = Path.Combine(root, FileName);
        var (set, applied, _) = ReleaseKeyRotations.Apply(anchors, Read(_path));
        (Current, _applied) = (set, [.. applied]);
    }

    /// <summary>The key set in force.</summary>
    public ReleaseKeySet Current { get; private set; }

    /// <summary>
    /// Applies the rotations in <paramref name="chain"/> that go past the set in force, keeping
    /// each accepted one before it counts; null when all passed, why otherwise (the rotations before
    /// the refused one still apply).
    /// </summary>
    public string? Apply(IReadOnlyList<SignedKeyRotation>? chain)
    {
        if (chain is not { Count: > 0 })
        {
            return null;
        }

        lock (_lock)
        {
            var (set, applied, refusal) = ReleaseKeyRotations.Apply(Current, chain);
            if (applied.Count > 0)
            {
                var kept = new List<SignedKeyRotation>([.. _applied, .. applied]);
                Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
                AtomicRename.ReplaceFile(_path, ProtocolJson.Serialize(kept));
                (Current, _applied) = (set, kept);
            }

            return refusal;
        }
    }

    private static List<SignedKeyRotation> Read(string path)
    {
        try
        {
            return File.Exists(path) && ProtocolJson.TryDeserialize<List<SignedKeyRotation>>(File.ReadAllBytes(path), out var kept, out _) ? kept : [];
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return [];
        }
    }
}

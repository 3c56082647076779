using System.Globalization;
using System.Text;
using Appliance.Firmware.Storage;

namespace Appliance.Firmware.Updates;

/// <summary>
/// A release on trial: written just before <c>current</c> is switched to it, removed when it is
/// confirmed healthy (or rolled back). Kept as <c>key=value</c> lines because the rollback guard,
/// a shell script run by the unit before every start (<c>release-guard.sh</c>), reads and updates
/// it too: it counts the starts and rolls back a release that keeps failing or outlives its window.
/// </summary>
public sealed record ReleaseTrial(
    string Version,
    string Previous,
    string OrderId,
    string RolloutId,
    long StartedAt,
    long WindowSeconds,
    int MaxStarts,
    int SecurityFloor,
    int Starts = 0,
    int StoreFormat = 0)
{
    public const string FileName = "trial";

    public DateTimeOffset Deadline => DateTimeOffset.FromUnixTimeSeconds(StartedAt + WindowSeconds);

    public static ReleaseTrial? Read(string root) =>
        KeyValueFile.Read(Path.Combine(root, FileName)) is { } v
        && v.TryGetValue("version", out var version) && v.TryGetValue("previous", out var previous)
        && v.TryGetValue("order", out var order) && v.TryGetValue("rollout", out var rollout)
            ? new ReleaseTrial(version, previous, order, rollout, Long(v, "started"), Long(v, "window"), (int)Long(v, "max_starts"), (int)Long(v, "floor"), (int)Long(v, "starts"), (int)Long(v, "store_format"))
            : null;

    public void Write(string root) => KeyValueFile.Write(Path.Combine(root, FileName), new Dictionary<string, string>
    {
        ["version"] = Version,
        ["previous"] = Previous,
        ["order"] = OrderId,
        ["rollout"] = RolloutId,
        ["started"] = StartedAt.ToString(CultureInfo.InvariantCulture),
        ["window"] = WindowSeconds.ToString(CultureInfo.InvariantCulture),
        ["max_starts"] = MaxStarts.ToString(CultureInfo.InvariantCulture),
        ["floor"] = SecurityFloor.ToString(CultureInfo.InvariantCulture),
        ["starts"] = Starts.ToString(CultureInfo.InvariantCulture),
        ["store_format"] = StoreFormat.ToString(CultureInfo.InvariantCulture),
    });

    public static void Remove(string root) => KeyValueFile.Remove(Path.Combine(root, FileName));

    private static long Long(Dictionary<string, string> values, string key) =>
        values.TryGetValue(key, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;
}

/// <summary>
/// A rollback that happened: written by whoever rolled back (the firmware at the end of its
/// health window, or the guard after too many starts), reported to the host on the next
/// connection and, once the broker has it, kept as the last rollback: an order of the same rollout
/// for the release that failed here is refused rather than installed again.
/// </summary>
public sealed record ReleaseRollback(string Version, string RestoredVersion, string OrderId, string RolloutId, string Reason)
{
    public const string FileName = "rolled-back";

    /// <summary>The last rollback, once reported: kept so the same rollout cannot install that release here again.</summary>
    public const string ReportedFileName = "rolled-back.reported";

    public static ReleaseRollback? Read(string root) => ReadFile(Path.Combine(root, FileName));

    /// <summary>The last rollback here, reported or not.</summary>
    public static ReleaseRollback? Last(string root) => Read(root) ?? ReadFile(Path.Combine(root, ReportedFileName));

    /// <summary>The host has the report: kept as the last rollback, no longer sent.</summary>
    public static void MarkReported(string root)
    {
        var path = Path.Combine(root, FileName);
        if (File.Exists(path))
        {
            AtomicRename.Replace(path, Path.Combine(root, ReportedFileName));
            DurableFolder.Flush(root);
        }
    }

    private static ReleaseRollback? ReadFile(string path) =>
        KeyValueFile.Read(path) is { } v
        && v.TryGetValue("version", out var version) && v.TryGetValue("restored", out var restored)
        && v.TryGetValue("order", out var order) && v.TryGetValue("rollout", out var rollout)
            ? new ReleaseRollback(version, restored, order, rollout, v.GetValueOrDefault("reason", "rolled back"))
            : null;

    public void Write(string root) => KeyValueFile.Write(Path.Combine(root, FileName), new Dictionary<string, string>
    {
        ["version"] = Version,
        ["restored"] = RestoredVersion,
        ["order"] = OrderId,
        ["rollout"] = RolloutId,
        ["reason"] = Reason,
    });
}

/// <summary><c>key=value</c> lines, replaced whole through a flushed rename (never half written).</summary>
internal static class KeyValueFile
{
    public static Dictionary<string, string>? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(path))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                values[line[..equals]] = line[(equals + 1)..];
            }
        }

        return values;
    }

    public static void Write(string path, IReadOnlyDictionary<string, string> values)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in values)
        {
            // One line per value: a reason with a line break must not forge another key for the guard.
            text.Append(key).Append('=').Append(value.ReplaceLineEndings(" ")).Append('\n');
        }

        AtomicRename.ReplaceFile(path, Encoding.UTF8.GetBytes(text.ToString()));
    }

    public static void Remove(string path)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
            DurableFolder.Flush(Path.GetDirectoryName(path)!);
        }
    }
}

using Appliance.Firmware.Core;

namespace Appliance.Firmware.Devices.Integrity;

/// <summary>
/// Reads the operating system's state from sysfs and procfs (or fake trees in tests) and
/// says what is unsafe for patient data: a Bluetooth controller or unblocked Bluetooth
/// radio, a sync, cloud or remote-access daemon, an unset clock, a data folder on a network
/// or RAM file system or the wrong mount, or readable by others. Each problem is a sentence.
/// </summary>
public sealed class OsIntegrityChecks(IntegrityOptions options, string dataFolder)
{
    private static readonly HashSet<string> UnsafeFileSystems = new(StringComparer.Ordinal)
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "9p", "tmpfs", "ramfs", "overlay",
    };

    public IReadOnlyList<string> Check(DateTimeOffset now) => [.. Bluetooth(), .. ForbiddenProcesses(), .. Clock(now), .. DataFolder()];

    /// <summary>The same checks as rows of the install self-test, with what was seen when each passes.</summary>
    public IReadOnlyList<SelfTestResult> SelfTest(DateTimeOffset now) =>
    [
        SelfTestResult.From("clock", [.. Clock(now)], $"{now:yyyy-MM-dd HH:mm} UTC"),
        Directory.Exists(dataFolder)
            ? SelfTestResult.From("data folder", [.. DataFolder()], $"{dataFolder}, local and owner-only")
            : SelfTestResult.Fail("data folder", $"there is no {dataFolder}: enrolling the appliance makes it"),
        SelfTestResult.From("bluetooth", [.. Bluetooth()], "no controller, no unblocked radio"),
        SelfTestResult.From("other services", [.. ForbiddenProcesses()], "no sync, cloud, remote-access or Bluetooth daemon running"),
    ];

    private IEnumerable<string> Clock(DateTimeOffset now)
    {
        if (now < options.EarliestSaneTime || now.Year > 2100)
        {
            yield return $"the clock reads {now:yyyy-MM-dd}: it is not set (no network time yet?)";
        }
    }

    private IEnumerable<string> Bluetooth()
    {
        var controllers = Path.Combine(options.SysRoot, "class", "bluetooth");
        if (Directory.Exists(controllers))
        {
            foreach (var controller in Directory.EnumerateFileSystemEntries(controllers).Select(Path.GetFileName).Order(StringComparer.Ordinal))
            {
                yield return $"a Bluetooth controller ({controller}) is present: disable it (dtoverlay=disable-bt)";
            }
        }

        var rfkill = Path.Combine(options.SysRoot, "class", "rfkill");
        if (!Directory.Exists(rfkill))
        {
            yield break;
        }

        foreach (var radio in Directory.EnumerateFileSystemEntries(rfkill).Order(StringComparer.Ordinal))
        {
            if (Read(radio, "type") == "bluetooth" && Read(radio, "soft") == "0" && Read(radio, "hard") == "0")
            {
                yield return $"a Bluetooth radio ({Path.GetFileName(radio)}) is not blocked: rfkill block bluetooth";
            }
        }
    }

    private IEnumerable<string> ForbiddenProcesses()
    {
        if (!Directory.Exists(options.ProcRoot))
        {
            yield break;
        }

        var forbidden = new HashSet<string>(options.ForbiddenProcesses, StringComparer.OrdinalIgnoreCase);
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var process in Directory.EnumerateDirectories(options.ProcRoot))
        {
            if (!int.TryParse(Path.GetFileName(process), out _))
            {
                continue;
            }

            // comm holds at most 15 characters of the name, hence the shortened entries above.
            var name = Read(process, "comm");
            if (name is not null && forbidden.Contains(name))
            {
                found.Add(name);
            }
        }

        foreach (var name in found)
        {
            yield return $"a sync, cloud, remote-access or Bluetooth daemon is running: {name}";
        }
    }

    private IEnumerable<string> DataFolder()
    {
        var mounts = Read(options.ProcRoot, "mounts");
        if (mounts is not null)
        {
            var folder = Path.GetFullPath(dataFolder);
            // The mount that holds the folder: the longest mount point that is a prefix of it.
            var mount = mounts.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' '))
                .Where(f => f.Length >= 3 && IsUnder(folder, f[1]))
                .OrderByDescending(f => f[1].Length)
                .FirstOrDefault();
            if (mount is not null)
            {
                if (UnsafeFileSystems.Contains(mount[2]) || mount[2].StartsWith("fuse", StringComparison.Ordinal))
                {
                    yield return $"the data folder is on a {mount[2]} file system ({mount[1]}), not the appliance's own disk";
                }

                if (options.ExpectedMount is { } expected && mount[1] != expected)
                {
                    yield return $"the data folder is on {mount[1]}, not on {expected}";
                }
            }
        }

        if (Directory.Exists(dataFolder) && (File.GetUnixFileMode(dataFolder) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
        {
            yield return "the data folder is open to other users: chmod 700 it";
        }
    }

    private static bool IsUnder(string folder, string mountPoint) =>
        mountPoint == "/" || folder == mountPoint || folder.StartsWith(mountPoint.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static string? Read(string folder, string name)
    {
        try
        {
            return File.ReadAllText(Path.Combine(folder, name)).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // a process that ended, or a file we may not read
        }
    }
}

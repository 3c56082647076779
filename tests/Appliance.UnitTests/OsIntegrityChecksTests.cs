using Appliance.Firmware.Devices.Integrity;
using Appliance.TestFixtures;

namespace Appliance.UnitTests;

/// <summary>The operating-system checks against fake sysfs and procfs trees.</summary>
public sealed class OsIntegrityChecksTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private readonly TempFolder _root = new("integrity");
    private readonly IntegrityOptions _options;
    private readonly string _data;

    public OsIntegrityChecksTests()
    {
        _options = new IntegrityOptions { SysRoot = _root.Combine("sys"), ProcRoot = _root.Combine("proc") };
        Directory.CreateDirectory(_options.SysRoot);
        Directory.CreateDirectory(_options.ProcRoot);
        _data = Directory.CreateDirectory(_root.Combine("var", "lib", "appliance")).FullName;
        File.SetUnixFileMode(_data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Mounts($"/dev/mmcblk0p2 / ext4 rw,noatime 0 0\nproc /proc proc rw 0 0\n");
        Process(1, "systemd");
        Process(412, "appliance-firmw");
    }

    private IReadOnlyList<string> Check(DateTimeOffset? now = null) => new OsIntegrityChecks(_options, _data).Check(now ?? Now);

    private void Write(string relative, string content)
    {
        var path = Path.Combine(_root.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content + "\n");
    }

    private void Process(int pid, string name) => Write($"proc/{pid}/comm", name);

    private void Mounts(string content) => Write("proc/mounts", content);

    private void Radio(string name, string type, int soft, int hard)
    {
        Write($"sys/class/rfkill/{name}/type", type);
        Write($"sys/class/rfkill/{name}/soft", soft.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Write($"sys/class/rfkill/{name}/hard", hard.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AHardenedAppliance_PassesEveryCheck()
    {
        Radio("rfkill0", "wlan", 0, 0); // Wi-Fi may be on; it is not Bluetooth
        Radio("rfkill1", "bluetooth", 1, 0); // blocked

        Assert.Empty(Check());
    }

    [Fact]
    public void ABluetoothController_OrAnUnblockedBluetoothRadio_IsAProblem()
    {
        Directory.CreateDirectory(_root.Combine("sys", "class", "bluetooth", "hci0"));
        Radio("rfkill1", "bluetooth", 0, 0);

        var problems = Check();

        Assert.Contains(problems, p => p.Contains("Bluetooth controller (hci0)", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Bluetooth radio (rfkill1) is not blocked", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("dropbox")]
    [InlineData("syncthing")]
    [InlineData("rclone")]
    [InlineData("bluetoothd")]
    [InlineData("teamviewerd")]
    public void ASyncCloudRemoteAccessOrBluetoothDaemon_IsAProblem(string daemon)
    {
        Process(2001, daemon);

        Assert.Contains(Check(), p => p.EndsWith(": " + daemon, StringComparison.Ordinal));
    }

    [Fact]
    public void AnUnsetClock_IsAProblem() =>
        Assert.Contains(Check(new DateTimeOffset(1970, 1, 1, 0, 0, 12, TimeSpan.Zero)), p => p.Contains("clock reads 1970-01-01", StringComparison.Ordinal));

    [Theory]
    [InlineData("nfs4")]
    [InlineData("cifs")]
    [InlineData("tmpfs")]
    [InlineData("fuse.sshfs")]
    public void ADataFolderOnANetworkOrRamFileSystem_IsAProblem(string type)
    {
        var mountPoint = Path.GetDirectoryName(_data)!;
        Mounts($"/dev/mmcblk0p2 / ext4 rw 0 0\nserver:/share {mountPoint} {type} rw 0 0\n");

        Assert.Contains(Check(), p => p.Contains($"on a {type} file system", StringComparison.Ordinal));
    }

    [Fact]
    public void ADataFolderOffTheExpectedMount_IsAProblem()
    {
        _options.ExpectedMount = "/var/lib/appliance";

        Assert.Contains(Check(), p => p.Contains("not on /var/lib/appliance", StringComparison.Ordinal));

        Mounts($"/dev/mmcblk0p2 / ext4 rw 0 0\n/dev/mmcblk0p3 {_data} ext4 rw 0 0\n");
        _options.ExpectedMount = _data;
        Assert.Empty(Check());
    }

    [Fact]
    public void ADataFolderOthersCanRead_IsAProblem()
    {
        File.SetUnixFileMode(_data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        Assert.Contains(Check(), p => p.Contains("chmod 700", StringComparison.Ordinal));
    }

    public void Dispose() => _root.Dispose();
}

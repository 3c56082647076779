using Appliance.Firmware.Updates;
using Appliance.Protocol.Releases;
using Appliance.TestFixtures;

namespace Appliance.UnitTests;

/// <summary>
/// The appliance's side of an update on disk: a release unpacked beside the running one and
/// switched to through the <c>current</c> link; a bad package, a busy appliance or a downgrade
/// changes nothing; leftovers of an install cut short are cleared and <c>current</c> always names
/// a whole release.
/// </summary>
public sealed class ReleaseInstallerTests : IDisposable
{
    private static readonly ReleaseTarget Pi4 = new("linux-arm64", "pi4", SecurityFloor: 2);
    private readonly TempFolder _folder = new("release-installer");
    private readonly (byte[] PrivateKey, byte[] PublicKey) _key = ReleasePackage.CreateKeyPair();
    private readonly ReleaseLayout _layout;
    private bool _busy;

    public ReleaseInstallerTests() => _layout = new ReleaseLayout(Directory.CreateDirectory(_folder.Combine("appliance")).FullName);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void AReleaseIsInstalledBesideTheRunningOne_AndBecomesCurrent_ThePreviousKeptWhole()
    {
        Assert.Equal(ReleaseInstallOutcome.Installed, Install(Package("1.4.0")).Outcome);
        Assert.Equal("1.4.0", _layout.CurrentVersion);
        var running = Path.Combine(_layout.Current, "Appliance.Firmware");
        Assert.Equal("#!/bin/sh\necho 1.4.0\n", File.ReadAllText(running));
        Assert.True(File.GetUnixFileMode(running).HasFlag(UnixFileMode.UserExecute), "the firmware stays executable");

        var result = Install(Package("1.5.0"));
        Assert.Equal(ReleaseInstallOutcome.Installed, result.Outcome);
        Assert.Equal("1.5.0 installed beside 1.4.0 and current", result.Reason);
        Assert.Equal(("1.5.0", "1.4.0"), (_layout.CurrentVersion, _layout.PreviousVersion));
        Assert.Equal("#!/bin/sh\necho 1.4.0\n", File.ReadAllText(Path.Combine(_layout.Previous, "Appliance.Firmware")));
        // The links are relative: the tree moves (or mounts elsewhere) as a whole.
        Assert.Equal(Path.Combine("releases", "1.5.0"), new FileInfo(_layout.Current).LinkTarget);

        Assert.Equal(ReleaseInstallOutcome.AlreadyCurrent, Install(Package("1.5.0", name: "again")).Outcome);
    }

    [Fact]
    public void ABadPackage_IsRefusedBeforeAnythingIsWritten_AndTheCurrentReleaseRuns()
    {
        Install(Package("1.4.0"));
        var before = Tree();

        var tampered = Package("1.5.0");
        var bytes = File.ReadAllBytes(tampered);
        bytes[^2048] ^= 0x01;
        File.WriteAllBytes(tampered, bytes);
        var refused = Install(tampered);
        Assert.Equal((ReleaseInstallOutcome.Refused, ReleaseRefusal.Tampered), (refused.Outcome, refused.Refusal));

        var otherKey = ReleasePackage.CreateKeyPair();
        Assert.Equal(ReleaseRefusal.UnknownKey, Install(Package("1.5.1", otherKey.PrivateKey)).Refusal);
        Assert.Equal(ReleaseRefusal.BelowFloor, Install(Package("1.3.9", floor: 1)).Refusal);
        Assert.Equal(before, Tree());
        Assert.Equal("1.4.0", _layout.CurrentVersion);
    }

    [Fact]
    public void WhileAJobIsArmed_NothingIsInstalled_UntilItEnds()
    {
        Install(Package("1.4.0"));
        var package = Package("1.5.0");
        _busy = true;
        Assert.Equal(ReleaseInstallOutcome.Busy, Install(package).Outcome);
        Assert.False(Directory.Exists(_layout.FolderOf("1.5.0")));

        _busy = false;
        Assert.Equal(ReleaseInstallOutcome.Installed, Install(package).Outcome);
    }

    [Fact]
    public void LeftoversOfAnInstallCutShort_AreCleared_AndCurrentAlwaysNamesAWholeRelease()
    {
        Install(Package("1.4.0"));
        // A power cut mid-install: a half-unpacked staging folder and a half-made link.
        var staging = Directory.CreateDirectory(Path.Combine(_layout.Releases, ".staging-1.5.0-cut")).FullName;
        File.WriteAllText(Path.Combine(staging, "Appliance.Firmware"), "#!/bin/sh\n# half");
        File.CreateSymbolicLink(_layout.Current + ".next", Path.Combine("releases", ".staging-1.5.0-cut"));
        Assert.Equal("1.4.0", _layout.CurrentVersion);

        Assert.Equal(ReleaseInstallOutcome.Installed, Install(Package("1.5.0")).Outcome);
        Assert.False(Directory.Exists(staging));
        Assert.False(File.Exists(_layout.Current + ".next") || new FileInfo(_layout.Current + ".next").LinkTarget is not null);
        Assert.Equal(["1.4.0", "1.5.0"], Directory.EnumerateDirectories(_layout.Releases).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private ReleaseInstallResult Install(string package) =>
        new ReleaseInstaller(_layout, new ReleaseTrust([_key.PublicKey]), Pi4, () => _busy).Install(package);

    private string Package(string version, byte[]? privateKey = null, int floor = 2, string? name = null)
    {
        var firmware = Directory.CreateDirectory(_folder.Combine($"publish-{version}-{Guid.NewGuid():N}")).FullName;
        var executable = Path.Combine(firmware, "Appliance.Firmware");
        File.WriteAllText(executable, $"#!/bin/sh\necho {version}\n");
        File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Path.Combine(firmware, "runtimes"));
        File.WriteAllBytes(Path.Combine(firmware, "runtimes", "libsodium.so"), new byte[40_000]);
        var path = _folder.Combine($"{name ?? version}-{Guid.NewGuid():N}.release");
        ReleasePackage.Create(firmware, new ReleaseManifest(ReleaseManifest.CurrentFormat, version, floor, "linux-arm64", ["pi4", "pi5"], 0, string.Empty, new DateOnly(2028, 12, 31), 1, string.Empty, string.Empty), privateKey ?? _key.PrivateKey, path);
        return path;
    }

    /// <summary>Every entry under the appliance's root, with link targets: what an install may not change.</summary>
    private List<string> Tree() =>
        [.. Directory.EnumerateFileSystemEntries(_layout.Root, "*", SearchOption.AllDirectories)
            .Select(p => $"{Path.GetRelativePath(_layout.Root, p)} {new FileInfo(p).LinkTarget}")
            .Order(StringComparer.Ordinal)];
}

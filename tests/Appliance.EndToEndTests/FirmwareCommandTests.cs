using Appliance.Demo;
using Appliance.Firmware.Commands;
using Appliance.Firmware.Storage.Wipe;
using Appliance.Host.Core.Provisioning;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.EndToEndTests;

/// <summary>
/// The firmware's two admin commands as an admin meets them: <c>enrol</c> refuses a wrong code
/// and changes nothing, takes the right one typed at the prompt; <c>wipe</c> does nothing
/// without <c>--yes</c> and with it leaves the signed report and no keys.
/// </summary>
public sealed class FirmwareCommandTests
{
    [Fact]
    public async Task Enrol_RefusesAWrongCodeChangingNothing_ThenEnrolsWithTheTypedCode_AndWipeNeedsYes()
    {
        using var folder = new TempFolder("firmware-commands");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        var provisioned = host.Services.GetRequiredService<DeviceProvisioner>().ProvisionForEnrolment("commands-01", ProvisioningKind.New, "127.0.0.1", 8883);
        var package = folder.Combine("commands-01.enrol.json");
        DeviceProvisioner.WritePackage(provisioned.Package, package);
        var data = folder.Combine("appliance");
        var bundle = Path.Combine(data, "bundle.json");
        var dataArgument = $"--Firmware:DataFolder={data}";

        Assert.Equal(2, Enrol([], "unused", out _, out var usage));
        Assert.Contains("usage: appliance-firmware enrol --package FILE", usage, StringComparison.Ordinal);

        Assert.Equal(1, Enrol(["--package", package, dataArgument], "WRONG-CODE", out _, out var refused));
        Assert.Contains("Enrolment failed", refused, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", refused, StringComparison.Ordinal);
        Assert.False(File.Exists(bundle));
        Assert.True(File.Exists(package), "a refused enrolment keeps the package for the right code");

        Assert.Equal(0, Enrol(["--package", package, dataArgument], provisioned.EnrolmentCode, out var enrolled, out var prompt));
        Assert.Contains("Enrolment code: ", prompt, StringComparison.Ordinal);
        Assert.Contains("Enrolled commands-01", enrolled, StringComparison.Ordinal);
        Assert.True(File.Exists(bundle));
        Assert.False(File.Exists(package), "the spent package is destroyed");

        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(2, await new WipeCommand(output, error).RunAsync([dataArgument], CancellationToken.None));
        Assert.Contains("Run again with --yes", error.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(bundle), "no wipe without --yes");

        Assert.Equal(0, await new WipeCommand(output, error).RunAsync(["--yes", dataArgument], CancellationToken.None));
        Assert.True(ProtocolJson.TryDeserialize<WipeReport>(System.Text.Encoding.UTF8.GetBytes(output.ToString().Trim()), out var report, out var invalid), invalid);
        Assert.Equal("commands-01", report.DeviceId);
        Assert.Equal(WipeTrigger.Local, report.Trigger);
        Assert.False(File.Exists(bundle));
        Assert.Equal(report.WipedAt, CryptoEraser.ReadMarker(data)!.WipedAt);
    }

    [Fact]
    public async Task TheFirmwareStartedBeforeItIsEnrolled_SaysHowToEnrolIt_WithoutAStackTrace_AndIsNotRestarted()
    {
        using var folder = new TempFolder("firmware-not-enrolled");
        var (exit, said) = await Builds.RunFirmwareAsync([$"--Firmware:DataFolder={folder.Path}", "--Devices:Mode=Simulated"]);

        // 3 is the exit status the unit does not restart (RestartPreventExitStatus).
        Assert.True(exit == 3, said);
        Assert.Contains($"This appliance is not enrolled: no bundle at {Path.Combine(folder.Path, "bundle.json")}", said, StringComparison.Ordinal);
        Assert.Contains("appliance-firmware enrol --package FILE", said, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", said, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InRealModeOnAMachineThatIsNotAPi_TheFirmwareNamesEachMissingPart_WithoutAStackTrace_AndIsNotRestarted()
    {
        using var folder = new TempFolder("firmware-no-parts");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        var provisioned = host.Services.GetRequiredService<DeviceProvisioner>().ProvisionForEnrolment("parts-01", ProvisioningKind.New, "127.0.0.1", 8883);
        var package = folder.Combine("parts-01.enrol.json");
        DeviceProvisioner.WritePackage(provisioned.Package, package);
        var data = $"--Firmware:DataFolder={folder.Combine("appliance")}";
        Assert.Equal(0, Enrol(["--package", package, data], provisioned.EnrolmentCode, out _, out _));

        // The appliance's own configuration (Real mode, gpiochip0, pwmchip0, rpicam-still) on this machine, which has none of them.
        var (exit, said) = await Builds.RunFirmwareAsync([data, "--Devices:Mode=Real"]);
        Assert.True(exit == 4, said);
        Assert.Contains("This appliance is missing", said, StringComparison.Ordinal);
        Assert.Contains("  - GPIO: there is no /dev/gpiochip0 (Gpio:Chip is 0)", said, StringComparison.Ordinal);
        Assert.Contains("  - PWM: there is no /sys/class/pwm/pwmchip0 (Rings:PwmChip is 0)", said, StringComparison.Ordinal);
        Assert.Contains("  - Camera: rpicam-still is not installed or not on PATH", said, StringComparison.Ordinal);
        Assert.Contains("  - Board: there is no config.txt (/boot/firmware/config.txt or /boot/config.txt; Devices:BootConfig)", said, StringComparison.Ordinal);
        Assert.Contains("appliance-firmware selftest", said, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", said, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", said, StringComparison.Ordinal);
    }

    private static int Enrol(string[] args, string typedCode, out string output, out string error)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = new EnrolCommand(new StringReader(typedCode + "\n"), stdout, stderr, TimeProvider.System).Run(args);
        output = stdout.ToString();
        error = stderr.ToString();
        return exit;
    }
}

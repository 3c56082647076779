using System.Text.RegularExpressions;
using Appliance.Firmware.Core;

namespace Appliance.EndToEndTests;

/// <summary>
/// The hardware design and the software's defaults describe the same appliance: the camera
/// hardware/README.md names is the one whose sensor the calibration's optical magnification
/// is computed with.
/// </summary>
public sealed partial class HardwareDesignTests
{
    /// <summary>The Camera Module 3's IMX708: 4608 active pixels across, 1.4 µm each.</summary>
    private const double Imx708WidthMillimetres = 4608 * 0.0014;

    [GeneratedRegex(@"^\| camera \| Raspberry Pi Camera Module 3 \(IMX708\) \|", RegexOptions.Multiline)]
    private static partial Regex CameraRow();

    [Fact]
    public void TheCalibrationsSensorWidth_IsTheDefaultCamerasSensor()
    {
        var readme = File.ReadAllText(Path.Combine(Builds.RepositoryRoot, "hardware", "README.md"));

        Assert.Matches(CameraRow(), readme);
        // The DICOM Optical Magnification Factor is measured scale × this width / frame width: a wrong sensor is a wrong factor.
        Assert.Equal(Imx708WidthMillimetres, new CalibrationOptions().SensorWidthMillimetres, 3);
    }
}

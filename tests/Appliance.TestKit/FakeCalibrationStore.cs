using Appliance.Firmware.Core;
using Appliance.Protocol;

namespace Appliance.TestKit;

/// <summary>A calibration state a test sets; profiles are well formed but unsigned (the coordinator does not check signatures: the store does).</summary>
public sealed class FakeCalibrationStore : ICalibrationStore
{
    public CalibrationProfile? Current { get; set; }

    public void Save(CalibrationProfile profile) => Current = profile;

    public static CalibrationProfile Valid(string deviceId, TimeSpan remaining)
    {
        var now = DateTimeOffset.UtcNow;
        var ring = new RingProfile(LightingMode.CrossPolarised, 1, 1, [1, 1, 1], [1, 1, 1], [1, 1, 1], "Linear3x3", [[1, 0, 0], [0, 1, 0], [0, 0, 1]], 25.6, 12, 0.8, 1.6);
        return new CalibrationProfile($"{deviceId}-test", deviceId, now + remaining - TimeSpan.FromDays(30), now + remaining, "test target", "1", [ring]);
    }
}

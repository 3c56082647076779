using Appliance.Firmware.Core;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Appliance.UnitTests;

/// <summary>
/// The capture coordinator put together as the firmware does, from the parts a test holds on to
/// (camera, rings, store, calibration, status feed), on the real clock: one composition for every
/// test of the capture sequence.
/// </summary>
internal static class CoordinatorComposition
{
    public static CaptureCoordinator Compose(
        CaptureSequencer sequencer,
        GpioStatusIndicator indicator,
        ISeriesStore store,
        FrameBufferPool pool,
        ISystemIntegrity integrity,
        ICalibrationStore calibration,
        CalibrationOptions calibrationOptions,
        ApplianceIdentity identity,
        StatusFeed status,
        CaptureOptions options,
        OverviewStep? overviewStep = null) =>
        new(
            sequencer,
            new SeriesQualityChecker(Options.Create(new QualityOptions()), pool),
            store,
            pool,
            integrity,
            calibration,
            Options.Create(calibrationOptions),
            new CalibrationSession(sequencer, store, calibration, Options.Create(calibrationOptions), indicator, identity, status, TimeProvider.System, NullLogger<CalibrationSession>.Instance),
            new SeriesPackager(identity, pool, calibration, TimeProvider.System, Options.Create(options)),
            indicator,
            identity,
            status,
            new WorkSignal(),
            TimeProvider.System,
            Options.Create(options),
            NullLogger<CaptureCoordinator>.Instance,
            overviewStep);

    /// <summary>Every status published and not yet read, oldest first.</summary>
    public static List<ApplianceStatus> Drain(this StatusFeed status)
    {
        var list = new List<ApplianceStatus>();
        while (status.Reader.TryRead(out var s))
        {
            list.Add(s);
        }

        return list;
    }
}

namespace Appliance.Firmware.Devices;

public enum DevicesMode
{
    /// <summary>No hardware: simulated GPIO and camera. The normal case on a laptop, in tests and in the demo.</summary>
    Simulated,

    /// <summary>The Pi: libgpiod through <c>GpioController</c>, and the camera module.</summary>
    Real,
}

/// <summary>Section <c>Devices</c>.</summary>
public sealed class DevicesOptions
{
    public const string Section = "Devices";

    public DevicesMode Mode { get; set; } = DevicesMode.Simulated;
}

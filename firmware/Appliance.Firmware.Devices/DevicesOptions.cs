namespace Appliance.Firmware.Devices;

public enum DevicesMode
{
    /// <summary>No hardware: simulated GPIO and camera. The normal case on a laptop, in tests and in the demo.</summary>
    Simulated,

    /// <summary>The Pi: libgpiod through <c>GpioController</c>, and the camera module.</summary>
    Real,
}

/// <summary>Which real camera: the Pi camera module or a USB one.</summary>
public enum CameraBackend
{
    /// <summary>The camera module through libcamera's <c>rpicam-still</c>.</summary>
    Rpicam,

    /// <summary>A USB (UVC) camera through V4L2 (<c>v4l2-ctl</c>).</summary>
    V4l2,
}

/// <summary>Section <c>Devices</c>.</summary>
public sealed class DevicesOptions
{
    public const string Section = "Devices";

    public DevicesMode Mode { get; set; } = DevicesMode.Simulated;

    /// <summary>
    /// Simulated mode: take presses and cards from the terminal (when one is attached) and from
    /// the control socket. Off where the appliance runs inside another program (the demo, tests),
    /// which presses the simulated button itself.
    /// </summary>
    public bool ManualControls { get; set; } = true;

    /// <summary>
    /// Simulated mode: the control socket's path, which takes the button and the cards
    /// (<c>SimulatedControlSocket</c>); empty for <c>control.sock</c> in <c>Firmware:DataFolder</c>.
    /// </summary>
    public string? ControlSocket { get; set; }

    /// <summary>The camera in <see cref="DevicesMode.Real"/> mode.</summary>
    public CameraBackend Camera { get; set; } = CameraBackend.Rpicam;

    /// <summary>Where the device nodes are (<c>gpiochipN</c>, <c>videoN</c>); tests point it at a fake tree.</summary>
    public string DevRoot { get; set; } = "/dev";

    /// <summary>Where sysfs is, for the PWM chips; tests point it at a fake tree.</summary>
    public string SysRoot { get; set; } = "/sys";

    /// <summary>The Pi's config.txt, whose overlays the pin map is checked against; unset: /boot/firmware/config.txt, else /boot/config.txt.</summary>
    public string? BootConfig { get; set; }
}

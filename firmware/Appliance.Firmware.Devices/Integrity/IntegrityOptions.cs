using System.ComponentModel.DataAnnotations;

namespace Appliance.Firmware.Devices.Integrity;

/// <summary>Section <c>Integrity</c>: the operating-system checks that must pass before the appliance arms.</summary>
public sealed class IntegrityOptions
{
    public const string Section = "Integrity";

    /// <summary>Development only: report failed checks but arm anyway. Never on a clinic appliance.</summary>
    public bool WarnOnly { get; set; }

    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Where sysfs and procfs are; tests point these at fake trees.</summary>
    [Required]
    public string SysRoot { get; set; } = "/sys";

    [Required]
    public string ProcRoot { get; set; } = "/proc";

    /// <summary>The mount point the data folder must live on (e.g. <c>/var/lib/appliance</c> on its own partition); unset for any local disk.</summary>
    public string? ExpectedMount { get; set; }

    /// <summary>A clock before this is unset (no RTC on a Pi, no NTP yet): TLS and every timestamp would be wrong.</summary>
    public DateTimeOffset EarliestSaneTime { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Process names of sync, cloud, remote-access and Bluetooth daemons that must not run beside the firmware.</summary>
    public string[] ForbiddenProcesses { get; set; } =
    [
        "dropbox", "onedrive", "rclone", "syncthing", "nextcloud", "owncloud", "insync", "megasync", "gdrive",
        "google-drive-oc", "icloud", "s3fs", "teamviewerd", "anydesk", "bluetoothd", "obexd", "blueman-applet",
    ];
}

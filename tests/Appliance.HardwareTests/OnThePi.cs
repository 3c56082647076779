using Appliance.Firmware.Core;
using Appliance.Firmware.Devices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.HardwareTests;

/// <summary>
/// The appliance's device seams as the firmware builds them on a Pi: its own appsettings.json
/// with <c>Devices:Mode</c> Real, so libgpiod on the configured chip, sysfs PWM and rpicam-still.
/// Nothing is started: each test takes the parts it checks.
/// </summary>
public sealed class OnThePi : IDisposable
{
    /// <summary>The category every test in this project carries; the test command leaves it out, a Pi runs only it.</summary>
    public const string Category = "Hardware";

    private readonly IHost _host;

    public OnThePi()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory, DisableDefaults = true });
        builder.Configuration.AddJsonFile("appsettings.json", optional: false);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Devices:Mode"] = nameof(DevicesMode.Real) });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddOptions<CaptureOptions>().Bind(builder.Configuration.GetSection(CaptureOptions.Section));
        builder.AddApplianceDevices();
        _host = builder.Build();
    }

    public IConfiguration Configuration => Service<IConfiguration>();

    public T Service<T>()
        where T : notnull => _host.Services.GetRequiredService<T>();

    public void Dispose() => _host.Dispose();
}

using System.Reflection;

namespace Appliance.EndToEndTests;

/// <summary>The firmware has no cloud, sync or Bluetooth code in it: nothing it loads could open such a path.</summary>
public sealed class NoCloudOrBluetoothTests
{
    private static readonly string[] Forbidden =
    [
        "Azure", "AWSSDK", "Amazon", "Google.Cloud", "Google.Apis", "Firebase", "Dropbox", "Microsoft.Graph", "OneDrive",
        "Box.V2", "Bluetooth", "InTheHand", "32feet", "Windows.Devices", "Plugin.BLE", "Shiny", "SignalR", "Sentry", "ApplicationInsights",
    ];

    /// <summary>Every assembly the firmware references, followed down through its references.</summary>
    private static SortedSet<string> Closure(Assembly root)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<AssemblyName>(root.GetReferencedAssemblies());
        while (pending.TryPop(out var name))
        {
            if (!seen.Add(name.Name!))
            {
                continue;
            }

            try
            {
                foreach (var reference in Assembly.Load(name).GetReferencedAssemblies())
                {
                    pending.Push(reference);
                }
            }
            catch (FileNotFoundException ex)
            {
                // Not silently: an assembly the check cannot open is one it cannot vouch for.
                throw new Xunit.Sdk.XunitException($"{name} is referenced by the firmware but could not be loaded to check it: {ex.Message}");
            }
        }

        return seen;
    }

    [Fact]
    public void TheFirmwareLoadsNoCloudSyncTelemetryOrBluetoothAssembly()
    {
        var assemblies = Closure(typeof(Appliance.Firmware.FirmwareRegistration).Assembly);

        Assert.Contains("MQTTnet", assemblies); // the one network client it has, to its broker
        Assert.Contains("LiteDB", assemblies);
        var offending = assemblies.Where(a => Forbidden.Any(f => a.Contains(f, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.Empty(offending);
    }
}

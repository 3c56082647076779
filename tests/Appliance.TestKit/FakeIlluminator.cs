using Appliance.Firmware.Core;
using Appliance.Protocol;

namespace Appliance.TestKit;

/// <summary>The rings as a record: which is lit now, and every change.</summary>
public sealed class FakeIlluminator : IIlluminator
{
    private readonly Lock _lock = new();
    private readonly List<LightingMode?> _changes = [];

    /// <summary>The ring lit now, or null when both are off.</summary>
    public LightingMode? Lit { get; private set; }

    public IReadOnlyList<LightingMode?> Changes
    {
        get
        {
            lock (_lock)
            {
                return [.. _changes];
            }
        }
    }

    public void Light(LightingMode ring) => Set(ring);

    public void AllOff() => Set(null);

    private void Set(LightingMode? ring)
    {
        lock (_lock)
        {
            Lit = ring;
            _changes.Add(ring);
        }
    }
}

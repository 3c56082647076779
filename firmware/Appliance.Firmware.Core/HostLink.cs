namespace Appliance.Firmware.Core;

/// <summary>
/// Whether the uplink is connected to the host's broker right now, as the uplink finds it, for
/// what shows the appliance's state on the appliance itself (the screen's "offline").
/// </summary>
public sealed class HostLink
{
    private int _connected;

    public bool Connected => Volatile.Read(ref _connected) == 1;

    /// <summary>Raised when <see cref="Connected"/> changes; handlers must not block.</summary>
    public event Action<bool>? Changed;

    public void Set(bool connected)
    {
        if (Interlocked.Exchange(ref _connected, connected ? 1 : 0) != (connected ? 1 : 0))
        {
            Changed?.Invoke(connected);
        }
    }
}

namespace Appliance.Host.Core.Imaging;

/// <summary>
/// The registrations of the last few pairs of visits compared, newest kept. The compare page and
/// its overlay image ask for the same pair moments apart, and the registration is most of that
/// work (about 200 ms a pair at the working size). Only the fit is kept (a transform, its
/// residual and overlap), never pixels; a filed series never changes, so a kept fit stays right.
/// </summary>
public sealed class RecentRegistrations(int capacity = 16)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<(string First, string Second, Registration Registration)> _recent = new();

    /// <summary>The pair's registration: the one kept, else <paramref name="register"/>'s, then kept.</summary>
    public Registration GetOrAdd(string firstId, string secondId, Func<Registration> register)
    {
        ArgumentNullException.ThrowIfNull(register);
        lock (_lock)
        {
            for (var node = _recent.First; node is not null; node = node.Next)
            {
                if (node.Value.First == firstId && node.Value.Second == secondId)
                {
                    _recent.Remove(node);
                    _recent.AddFirst(node);
                    return node.Value.Registration;
                }
            }
        }

        // Outside the lock: two pages registering different pairs do not wait on each other.
        var registration = register();
        lock (_lock)
        {
            _recent.AddFirst((firstId, secondId, registration));
            while (_recent.Count > capacity)
            {
                _recent.RemoveLast();
            }
        }

        return registration;
    }
}

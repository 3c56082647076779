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
            if (Find(firstId, secondId) is { } kept)
            {
                return kept;
            }
        }

        // Outside the lock: two pages registering different pairs do not wait on each other.
        var registration = register();
        lock (_lock)
        {
            // Two requests for the same pair at once both register; the first kept is the one kept.
            if (Find(firstId, secondId) is { } first)
            {
                return first;
            }

            _recent.AddFirst((firstId, secondId, registration));
            while (_recent.Count > capacity)
            {
                _recent.RemoveLast();
            }
        }

        return registration;
    }

    /// <summary>The pair's kept registration, moved to the front; null if none is kept. Called holding the lock.</summary>
    private Registration? Find(string firstId, string secondId)
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

        return null;
    }
}

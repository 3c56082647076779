namespace Appliance.Host.Infrastructure.Messaging;

/// <summary>A sliding window of connection attempts per client id.</summary>
internal sealed class ConnectionRate(TimeSpan window)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _attempts = new(StringComparer.Ordinal);

    /// <summary>Counts the attempt; false when the client already had <paramref name="limit"/> within the window.</summary>
    public bool TryAdmit(string clientId, DateTimeOffset now, int limit)
    {
        lock (_lock)
        {
            if (!_attempts.TryGetValue(clientId, out var times))
            {
                _attempts[clientId] = times = new Queue<DateTimeOffset>();
            }

            while (times.Count > 0 && now - times.Peek() >= window)
            {
                times.Dequeue();
            }

            if (times.Count >= limit)
            {
                return false;
            }

            times.Enqueue(now);
            return true;
        }
    }
}

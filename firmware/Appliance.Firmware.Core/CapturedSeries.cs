namespace Appliance.Firmware.Core;

/// <summary>
/// The frames of one series, owning their pixel buffers from the pool: disposing it clears them
/// and gives them back. Plaintext pixels live only here, from the camera until the series is
/// sealed or refused, and there is one place that lets them go.
/// </summary>
public sealed class CapturedSeries(IReadOnlyList<CapturedFrame> frames, FrameBufferPool pool) : IDisposable
{
    private int _disposed;

    public IReadOnlyList<CapturedFrame> Frames =>
        Volatile.Read(ref _disposed) == 0 ? frames : throw new ObjectDisposedException(nameof(CapturedSeries), "its pixels were cleared and returned to the pool");

    public void Dispose()
    {
        // Once only: a buffer returned twice could be handed to two captures at once.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var frame in frames)
        {
            pool.Return(frame.Pixels); // cleared as it goes back
        }
    }
}

using Appliance.Firmware.Core;

namespace Appliance.Firmware.Devices.Screen;

/// <summary>
/// One user of the cameras and rings at a time: the preview streams only while no capture wants
/// them, and a capture stops the preview and waits for it to let go (its ring off, its camera
/// process gone: on a Pi, rpicam-vid holds the camera rpicam-still needs) before it lights a
/// ring. <see cref="Released"/> says when the preview may start again.
/// </summary>
public sealed class CameraArbiter : IPreviewSuspension, IDisposable
{
    private readonly SemaphoreSlim _cameras = new(1, 1);
    private readonly Lock _lock = new();
    private CancellationTokenSource? _preview;
    private int _captures;

    /// <summary>Raised when a capture has finished with the cameras.</summary>
    public event Action? Released;

    /// <summary>The cameras for the preview, or null when a capture wants them; the lease's token is cancelled when one does.</summary>
    public async Task<Lease?> TryTakeForPreviewAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _captures) > 0)
        {
            return null;
        }

        await _cameras.WaitAsync(cancellationToken);
        lock (_lock)
        {
            if (_captures > 0)
            {
                _cameras.Release();
                return null;
            }

            _preview = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var preview = _preview;
            return new Lease(() =>
            {
                lock (_lock)
                {
                    _preview = null;
                }

                preview.Dispose();
                _cameras.Release();
            }, preview.Token);
        }
    }

    public async Task<IDisposable> SuspendAsync(CancellationToken cancellationToken) => await TakeForCaptureAsync(cancellationToken);

    /// <summary>The cameras for a capture: the preview is told to stop, and this waits until it has.</summary>
    public async Task<Lease> TakeForCaptureAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _captures++;
            _preview?.Cancel();
        }

        try
        {
            await _cameras.WaitAsync(cancellationToken);
        }
        catch
        {
            lock (_lock)
            {
                _captures--;
            }

            throw;
        }

        return new Lease(() =>
        {
            lock (_lock)
            {
                _captures--;
            }

            _cameras.Release();
            Released?.Invoke();
        }, cancellationToken);
    }

    public void Dispose() => _cameras.Dispose();

    public sealed class Lease(Action release, CancellationToken token) : IDisposable
    {
        private int _released;

        public CancellationToken Token { get; } = token;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                release();
            }
        }
    }
}

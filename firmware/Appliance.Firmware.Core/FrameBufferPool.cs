namespace Appliance.Firmware.Core;

/// <summary>
/// Reusable buffers for the capture path: frame pixels, sealed frames and measurement planes,
/// tens of megabytes each at 12 MP. A fresh buffer of that size costs more in page faults than
/// the work done in it (about 100 ms for 36 MB on the development machine), and a steady set
/// keeps the firmware's memory flat from one series to the next. Buffers are cleared when they
/// come back, because most of them held patient pixels. Exact sizes only: a frame buffer must
/// be exactly width × height × 3.
/// </summary>
public sealed class FrameBufferPool
{
    /// <summary>Enough for a series: two frames, two sealed frames, two measurement planes.</summary>
    private const int KeptPerSize = 2;

    private const int KeptSizes = 2;

    private readonly Lock _lock = new();
    private readonly Dictionary<int, Stack<byte[]>> _bytes = [];
    private readonly Dictionary<int, Stack<float[]>> _floats = [];

    public byte[] RentBytes(int length) => Rent(_bytes, length);

    public float[] RentFloats(int length) => Rent(_floats, length);

    /// <summary>Clears and keeps the buffer; null is ignored so callers can return what they may not have rented.</summary>
    public void Return(byte[]? buffer) => Keep(_bytes, buffer);

    public void Return(float[]? buffer) => Keep(_floats, buffer);

    private T[] Rent<T>(Dictionary<int, Stack<T[]>> buffers, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        lock (_lock)
        {
            if (buffers.TryGetValue(length, out var stack) && stack.TryPop(out var buffer))
            {
                return buffer;
            }
        }

        return new T[length];
    }

    private void Keep<T>(Dictionary<int, Stack<T[]>> buffers, T[]? buffer)
    {
        if (buffer is null)
        {
            return;
        }

        Array.Clear(buffer);
        lock (_lock)
        {
            if (!buffers.TryGetValue(buffer.Length, out var stack))
            {
                // Pixels and sealed frames differ in size; more sizes than that means the
                // resolution changed, and the old sizes will not be asked for again.
                if (buffers.Count >= KeptSizes)
                {
                    buffers.Clear();
                }

                stack = new Stack<T[]>(KeptPerSize);
                buffers[buffer.Length] = stack;
            }

            if (stack.Count < KeptPerSize && !stack.Contains(buffer))
            {
                stack.Push(buffer);
            }
        }
    }
}

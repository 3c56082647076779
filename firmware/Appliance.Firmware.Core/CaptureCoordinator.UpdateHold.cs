namespace Appliance.Firmware.Core;

// An update's hold on the state machine: taken only from idle, under the same gate as every
// other transition, so a job cannot arm between the check and the switch.
public sealed partial class CaptureCoordinator
{
    public async Task<bool> TryHoldAsync(CancellationToken cancellationToken)
    {
        if (!await _gate.WaitAsync(TimeSpan.Zero, cancellationToken))
        {
            return false;
        }

        try
        {
            if (State != CaptureState.Idle)
            {
                return false;
            }

            State = CaptureState.Updating;
            indicator.Show(IndicatorState.Busy);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void ReleaseHold()
    {
        if (State == CaptureState.Updating)
        {
            State = CaptureState.Idle;
            indicator.Show(IndicatorState.Idle);
        }
    }
}

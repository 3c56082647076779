namespace Appliance.Firmware.Core;

// An update's hold on the state machine: taken only from idle, under the same gate as every
// other transition, so a job cannot arm between the check and the switch.
public sealed partial class CaptureCoordinator
{
    /// <summary>How long a hold waits for a transition under way (a capture being stored, a status sent) to finish.</summary>
    private static readonly TimeSpan HoldWait = TimeSpan.FromSeconds(5);

    public event EventHandler? BecameIdle;

    public async Task<bool> TryHoldAsync(CancellationToken cancellationToken)
    {
        if (!await _gate.WaitAsync(HoldWait, cancellationToken))
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

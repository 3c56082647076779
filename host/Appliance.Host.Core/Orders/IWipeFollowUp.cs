using Appliance.Protocol;

namespace Appliance.Host.Core.Orders;

/// <summary>
/// What follows once an appliance's signed wipe report is verified (a remote wipe, the dead-man
/// lease or a wipe at the device). Called again for a report delivered twice (then with repeat true),
/// so it must be idempotent.
/// </summary>
public interface IWipeFollowUp
{
    Task OnWipeConfirmedAsync(WipeReport report, bool repeat, CancellationToken cancellationToken);
}

using Appliance.Host.Core;
using Appliance.Host.Core.Fleet;
using Appliance.Protocol;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages;

/// <summary>The first, read-only page: filed series and the appliances that have reported.</summary>
public sealed class IndexModel(ISeriesArchive archive, FleetState fleet) : PageModel
{
    public IReadOnlyList<FiledSeries> Series { get; private set; } = [];

    public IReadOnlyList<ApplianceStatus> Fleet { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Series = await archive.ListRecentAsync(200, cancellationToken);
        Fleet = [.. fleet.Latest.Values.OrderBy(s => s.DeviceId)];
    }
}

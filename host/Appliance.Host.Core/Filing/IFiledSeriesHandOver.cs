namespace Appliance.Host.Core.Filing;

/// <summary>
/// Something that must hold a filed series durably before its appliance is told it may delete
/// its copy (the PACS queue). Run before every receipt, the first and each repeat, so a host that
/// dies between filing and handing over sends no receipt: the appliance offers again, and
/// whichever instance confirms the series hands it over then. Handing over twice is harmless.
/// </summary>
public interface IFiledSeriesHandOver
{
    Task HandOverAsync(FiledSeries series, CancellationToken cancellationToken);
}

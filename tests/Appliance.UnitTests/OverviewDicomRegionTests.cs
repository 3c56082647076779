using Appliance.Host.Core.Exports;

namespace Appliance.UnitTests;

/// <summary>
/// The overview's anatomic region is coded from the typed body site with the SNOMED CT codes of
/// DICOM PS3.16 CID 4 (Anatomic Region, which includes CID 4031 Common Anatomic Regions), as the
/// 2025 tables list them: a PACS that indexes by region files the overview where a reader looks.
/// </summary>
public sealed class OverviewDicomRegionTests
{
    [Theory]
    [InlineData("left forearm", "14975008", "Forearm")]
    [InlineData("back of the left hand", "85562004", "Hand")]
    [InlineData("left forearm, near the wrist", "14975008", "Forearm")]
    [InlineData("right lower leg", "30021000", "Lower leg")]
    [InlineData("upper back", "77568009", "Back")]
    [InlineData("forehead", "89545001", "Face")]
    [InlineData("just above the right knee", "72696002", "Knee")]
    [InlineData("chest wall", "816094009", "Chest")]
    [InlineData("Abdomen, left of the umbilicus", "818981001", "Abdomen")]
    [InlineData("right shoulder", "16982005", "Shoulder")]
    [InlineData("left upper arm", "40983000", "Upper arm")]
    [InlineData("scalp, crown", "41695006", "Scalp")]
    public void TheBodySite_IsCodedWithTheStandardsRegion(string bodySite, string code, string meaning)
    {
        Assert.Equal((code, meaning), OverviewDicom.Region(bodySite));
    }

    [Theory]
    [InlineData("lesion 2")]
    [InlineData("shearing scar")] // "ear" inside a word is not the ear
    [InlineData("")]
    public void ASiteNamingNoRegion_IsLeftUncoded(string bodySite)
    {
        Assert.Null(OverviewDicom.Region(bodySite));
    }
}

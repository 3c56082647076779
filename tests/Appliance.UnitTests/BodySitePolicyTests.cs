using Appliance.Host.Core.Jobs;
using Appliance.Protocol;

namespace Appliance.UnitTests;

public sealed class BodySitePolicyTests
{
    private static readonly DateOnly Today = new(2026, 11, 24);

    [Theory]
    [InlineData("left forearm", false)]
    [InlineData("back", false)]
    [InlineData("left breast", true)]
    [InlineData("genitals", true)]
    [InlineData("perianal", true)]
    [InlineData("right buttock", true)]
    [InlineData("left groin", true)]
    [InlineData("upper back", false)]
    public void IntimateSites_AreRecognised(string site, bool intimate) => Assert.Equal(intimate, BodySitePolicy.IsIntimate(site));

    [Fact]
    public void AnOrdinarySite_NeedsNoDateOfBirth() =>
        Assert.Equal(BodySiteDecision.Ordinary, BodySitePolicy.Decide("left forearm", null, false, Today));

    [Fact]
    public void AnIntimateSite_IsRefusedUnder18_EvenWhenStaffConfirm()
    {
        var decision = BodySitePolicy.Decide("genitals", Today.AddYears(-17), intimateSiteConfirmed: true, Today);
        Assert.False(decision.Allowed);
        Assert.True(decision.Intimate);
        Assert.Contains("under 18", decision.Refusal);
    }

    [Fact]
    public void AnIntimateSite_NeedsADateOfBirth() =>
        Assert.Contains("date of birth", BodySitePolicy.Decide("left breast", null, true, Today).Refusal);

    [Fact]
    public void AnIntimateSite_ForAnAdult_NeedsConfirmation_AndIsFlagged()
    {
        Assert.Contains("chaperone", BodySitePolicy.Decide("perianal", Today.AddYears(-40), false, Today).Refusal);
        Assert.Equal(new BodySiteDecision(true, true, null), BodySitePolicy.Decide("perianal", Today.AddYears(-40), true, Today));
    }

    [Fact]
    public void EighteenthBirthday_IsTheFirstAdultDay()
    {
        Assert.False(BodySitePolicy.Decide("left breast", Today.AddYears(-18).AddDays(1), true, Today).Allowed);
        Assert.True(BodySitePolicy.Decide("left breast", Today.AddYears(-18), true, Today).Allowed);
    }

    [Fact]
    public void A29FebruaryBirthday_TurnsOverOn1March()
    {
        var born = new DateOnly(2008, 2, 29);
        Assert.Equal(17, BodySitePolicy.AgeOn(born, new DateOnly(2026, 2, 28)));
        Assert.Equal(18, BodySitePolicy.AgeOn(born, new DateOnly(2026, 3, 1)));
        Assert.Equal(15, BodySitePolicy.AgeOn(born, new DateOnly(2024, 2, 28))); // a leap year: the birthday is the 29th
        Assert.Equal(16, BodySitePolicy.AgeOn(born, new DateOnly(2024, 2, 29)));
    }

    [Fact]
    public void AnImpossibleDateOfBirth_IsRefused() =>
        Assert.Contains("not a possible", BodySitePolicy.Decide("back", Today.AddDays(1), false, Today).Refusal);

    [Fact]
    public void EverySiteThePageOffers_IsAValidBodySite_OnEverySide()
    {
        foreach (var (_, regions) in BodySiteChoices.Regions)
        {
            foreach (var region in regions)
            {
                Assert.Null(BodySites.Check(BodySiteChoices.Compose(null, region)));
                Assert.All(BodySiteChoices.Sides, side => Assert.Null(BodySites.Check(BodySiteChoices.Compose(side, region))));
            }
        }
    }

    [Fact]
    public void ASiteTheListsDoNotOffer_IsNotOffered()
    {
        Assert.True(BodySiteChoices.IsOffered("left", "forearm"));
        Assert.False(BodySiteChoices.IsOffered("left", "Jane"));
        Assert.False(BodySiteChoices.IsOffered("sideways", "forearm"));
    }
}

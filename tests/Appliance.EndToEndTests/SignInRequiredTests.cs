using Appliance.Demo;
using Appliance.EndToEndKit;
using Appliance.TestFixtures;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.EndToEndTests;

public sealed class SignInRequiredTests
{
    /// <summary>Every page the host serves, found from its own routes (so a page added later is covered), sends a stranger to sign in.</summary>
    [Fact]
    public async Task EveryPageAndHandler_RefusesAnUnauthenticatedRequest()
    {
        using var folder = new TempFolder("sign-in-required");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        var pages = host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<PageActionDescriptor>() is not null)
            .Select(e => "/" + string.Join('/', (e.RoutePattern.RawText ?? string.Empty).Split('/').Select(part => part.StartsWith('{') ? "x" : part)))
            .Distinct()
            .ToList();
        Assert.Contains("/Clinic", pages);
        Assert.Contains("/Series/View/x", pages);
        Assert.Contains("/Admin/Fleet", pages);

        using var stranger = HostPages.NewClient(host);
        foreach (var page in pages.Where(p => !p.StartsWith("/Account/", StringComparison.Ordinal)))
        {
            foreach (var query in new[] { string.Empty, "?handler=Frame&index=0&calibrated=true", "?handler=Thumbnail&index=0", "?handler=State" })
            {
                using var response = await stranger.GetAsync(page + query);
                Assert.True(response.RequestMessage!.RequestUri!.AbsolutePath == "/Account/Login", $"{page}{query} answered {(int)response.StatusCode} without sign-in");
            }
        }
    }
}

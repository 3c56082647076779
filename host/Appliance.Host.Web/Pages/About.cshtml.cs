using System.Reflection;
using Appliance.Host.Core.Support;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages;

/// <summary>This host's release, how long it gets security updates, and how to report a flaw.</summary>
public sealed class AboutModel(ReleaseSupport support, TimeProvider time) : PageModel
{
    /// <summary>The release this host runs (the same number the firmware of this release reports).</summary>
    public static string Version { get; } =
        typeof(AboutModel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public SupportStanding Standing { get; private set; } = null!;

    public IReadOnlyList<SupportedRelease> Releases => support.Releases;

    public string Policy => support.Policy;

    public void OnGet() => Standing = support.For(Version, time.GetUtcNow());
}

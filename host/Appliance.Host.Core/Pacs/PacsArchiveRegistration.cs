using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Pacs;

/// <summary>Puts the PACS in front of whichever archive keeps the records (LiteDB, or PostgreSQL that replaced it).</summary>
public static class PacsArchiveRegistration
{
    /// <summary>
    /// Frames released to the PACS are read back from it; with Images:Store = DicomWeb, frames go
    /// to it as each series is filed and are never kept here. Call after the archive's provider is chosen.
    /// </summary>
    public static void AddPacsArchive(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ImagesOptions>().Bind(configuration.GetSection(ImagesOptions.Section))
            .Validate<IOptions<PacsOptions>>((images, pacs) => images.Store != ImageStore.DicomWeb || pacs.Value.Enabled,
                "Images:Store=DicomWeb keeps the frames in the PACS: set Pacs:DicomWebUrl to its DICOMweb root")
            .ValidateOnStart();
        var store = configuration.GetSection(ImagesOptions.Section).Get<ImagesOptions>()?.Store ?? ImageStore.Files;

        var inner = services.Last(d => d.ServiceType == typeof(ISeriesArchive));
        var type = inner.ImplementationType ?? throw new InvalidOperationException("the archive must be registered by its type to be put behind the PACS");
        services.Remove(inner);
        services.AddSingleton(type);
        services.AddSingleton<ISeriesArchive>(sp =>
        {
            var archive = (ISeriesArchive)sp.GetRequiredService(type);
            if (store == ImageStore.DicomWeb)
            {
                archive = ActivatorUtilities.CreateInstance<DicomWebImageStore>(sp, archive);
            }

            return new PacsReadThroughArchive(archive, sp.GetRequiredService<IPacs>());
        });
    }
}

using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Infrastructure.Audit;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Core.Orders;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Infrastructure.Archive;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Host.Infrastructure.Security;
using Appliance.Host.Infrastructure.Transfers;
using Appliance.Host.Core.Transfers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Host.Infrastructure;

public static class HostInfrastructureRegistration
{
    /// <summary>CA and keys, archive, and the embedded broker with the host's own client.</summary>
    public static IHostApplicationBuilder AddHostInfrastructure(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HostDataOptions>().Bind(builder.Configuration.GetSection(HostDataOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<BrokerOptions>().Bind(builder.Configuration.GetSection(BrokerOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();

        builder.Services.AddSingleton<FileCertificateAuthority>();
        builder.Services.AddSingleton<ICertificateAuthority>(sp => sp.GetRequiredService<FileCertificateAuthority>());
        builder.Services.AddSingleton<IHostSealingKey, FileHostSealingKey>();
        builder.Services.AddSingleton<IHostSigningKey, FileHostSigningKey>();
        builder.Services.AddSingleton<IDeviceSigningKeys, FileDeviceSigningKeys>();
        builder.Services.AddSingleton<IDeviceCertificates, FileDeviceCertificates>();
        builder.Services.AddSingleton<IDeviceOrderLedger, FileDeviceOrderLedger>();
        builder.Services.AddSingleton<IDeviceSettingsStore, FileDeviceSettingsStore>();
        builder.Services.AddSingleton<Core.Releases.IReleaseStore, Releases.FileReleaseStore>();
        builder.Services.AddSingleton<Core.Rollouts.IRolloutStore, Rollouts.FileRolloutStore>();
        builder.Services.AddSingleton<Core.Rollouts.IDeviceGroups, Rollouts.FileDeviceGroups>();
        builder.Services.AddSingleton<IApplianceStatusStore, FileApplianceStatusStore>();
        builder.Services.AddSingleton<Core.Users.IUserStore, FileUserStore>();
        builder.Services.AddSingleton<Core.Users.ISessionStore, FileSessionStore>();
        builder.Services.AddSingleton<IAuditTrail, FileAuditTrail>();
        builder.Services.AddSingleton<ITransferStore, FileTransferStore>();
        builder.Services.AddSingleton<ArchiveKeys>();
        // One database file, one store per kind of record in it.
        builder.Services.AddSingleton<ArchiveDatabase>();
        builder.Services.AddSingleton<ISeriesArchive, LiteDbSeriesArchive>();
        builder.Services.AddSingleton<ICaptureJobRepository, LiteDbCaptureJobs>();
        builder.Services.AddSingleton<ICalibrationProfiles, LiteDbCalibrationProfiles>();
        builder.Services.AddSingleton<Core.Pacs.IPacsQueue, Pacs.LiteDbPacsQueue>();
        builder.Services.AddSingleton<Core.Pacs.IPacs, Pacs.DicomWebPacs>();

        // Order matters: hosted services start in registration order, so the broker listens before the host's client dials it.
        builder.Services.AddSingleton<EmbeddedMqttBroker>();
        builder.Services.AddSingleton<MosquittoConfiguration>();
        builder.Services.AddSingleton<AdvertisedBroker>();
        var mode = builder.Configuration.GetSection(BrokerOptions.Section).GetValue(nameof(BrokerOptions.Mode), BrokerMode.Embedded);
        if (mode == BrokerMode.Embedded)
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedMqttBroker>());
        }
        else if (!string.IsNullOrEmpty(builder.Configuration.GetSection(BrokerOptions.Section)[nameof(BrokerOptions.MosquittoConfigFolder)]))
        {
            builder.Services.AddSingleton<MosquittoAccessKeeper>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<MosquittoAccessKeeper>());
        }

        builder.Services.AddSingleton<HostMqttClient>();
        builder.Services.AddSingleton<IDeviceMessagePublisher>(sp => sp.GetRequiredService<HostMqttClient>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HostMqttClient>());
        return builder;
    }
}

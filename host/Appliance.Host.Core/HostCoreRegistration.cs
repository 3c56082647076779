using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Orders;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Core.Transfers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Appliance.Host.Core;

public static class HostCoreRegistration
{
    public static IHostApplicationBuilder AddHostCore(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<JobOptions>().Bind(builder.Configuration.GetSection(JobOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<TransferOptions>().Bind(builder.Configuration.GetSection(TransferOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SeriesFilingService>();
        builder.Services.AddSingleton<TransferReceiver>();
        builder.Services.AddSingleton<FleetState>();
        builder.Services.AddSingleton<Support.ReleaseSupport>();
        builder.Services.AddSingleton<FleetView>();
        builder.Services.AddSingleton<HostInboundHandler>();
        builder.Services.AddSingleton<CaptureJobService>();
        builder.Services.AddSingleton<JobTracker>();
        builder.Services.AddSingleton<LostSeriesRecall>();
        builder.Services.AddSingleton<Orders.IWipeFollowUp>(sp => sp.GetRequiredService<LostSeriesRecall>());
        builder.Services.AddSingleton<OverdueFilingWatch>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OverdueFilingWatch>());
        builder.Services.AddSingleton<ConsentWithdrawalService>();
        builder.Services.AddOptions<ProvisioningOptions>().Bind(builder.Configuration.GetSection(ProvisioningOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<DeviceProvisioner>();
        builder.Services.AddSingleton<Releases.ReleaseLibrary>();
        builder.Services.AddOptions<OrderOptions>().Bind(builder.Configuration.GetSection(OrderOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<DeviceOrderService>();
        builder.Services.AddSingleton<HostCommandSigner>();
        builder.Services.AddOptions<Users.SessionLifetimeOptions>().Bind(builder.Configuration.GetSection(Users.SessionLifetimeOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<Users.SignInOptions>().Bind(builder.Configuration.GetSection(Users.SignInOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<Users.IPasswordHasher, Users.Argon2idPasswordHasher>();
        builder.Services.AddSingleton<Users.SignInThrottle>();
        builder.Services.AddSingleton<Users.HostSessions>();
        builder.Services.AddSingleton<Users.UserService>();
        builder.Services.AddSingleton<Calibration.CalibrationReceiver>();
        builder.Services.AddSingleton<Calibration.CalibrationRunService>();
        builder.Services.AddSingleton<Imaging.SeriesRenderer>();
        builder.Services.AddSingleton<Imaging.LesionFollowUp>();
        builder.Services.AddSingleton<Filing.OverviewReviewService>();
        builder.Services.AddSingleton<Jobs.PatientLesionMap>();
        builder.Services.AddSingleton<Exports.SeriesExporter>();
        builder.Services.AddHostedService<WipeOrderDispatcher>();
        builder.Services.AddOptions<Rollouts.UpdateDeliveryOptions>().Bind(builder.Configuration.GetSection(Rollouts.UpdateDeliveryOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Rollouts.ReleasePackages>();
        builder.Services.AddSingleton<Rollouts.RolloutControl>();
        builder.Services.AddSingleton<Rollouts.RolloutDriver>();
        builder.Services.AddSingleton<Rollouts.PackageServer>();
        builder.Services.AddHostedService<Rollouts.RolloutDispatcher>();
        builder.Services.AddOptions<Pacs.PacsOptions>().Bind(builder.Configuration.GetSection(Pacs.PacsOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Pacs.PacsHandOver>();
        builder.Services.AddSingleton<Pacs.PacsDeliveries>();
        builder.Services.AddSingleton<IFiledSeriesHandOver>(sp => sp.GetRequiredService<Pacs.PacsHandOver>());
        builder.Services.AddSingleton<Pacs.PacsForwarder>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Pacs.PacsForwarder>());
        return builder;
    }
}

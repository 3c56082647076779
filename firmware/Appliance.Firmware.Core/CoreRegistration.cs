using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Appliance.Firmware.Core;

public static class CoreRegistration
{
    /// <summary>The capture state machine, its checks and the worker that feeds it button presses.</summary>
    public static IHostApplicationBuilder AddApplianceCore(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<ISystemIntegrity, UncheckedSystem>();
        builder.Services.AddOptions<CaptureOptions>().Bind(builder.Configuration.GetSection(CaptureOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<QualityOptions>().Bind(builder.Configuration.GetSection(QualityOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<OverviewOptions>().Bind(builder.Configuration.GetSection(OverviewOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<OverviewQualityChecker>();
        builder.Services.AddSingleton<FrameBufferPool>();
        builder.Services.AddSingleton<WorkSignal>();
        builder.Services.AddSingleton<StatusFeed>();
        builder.Services.AddSingleton<HostLink>();
        builder.Services.AddSingleton<CaptureSequencer>();
        builder.Services.AddSingleton<SeriesQualityChecker>();
        builder.Services.AddSingleton<CalibrationSession>();
        builder.Services.AddSingleton<SeriesPackager>();
        builder.Services.AddSingleton<CaptureCoordinator>();
        builder.Services.AddSingleton<ICaptureCommands>(sp => sp.GetRequiredService<CaptureCoordinator>());
        builder.Services.AddSingleton<IUpdateHold>(sp => sp.GetRequiredService<CaptureCoordinator>());
        builder.Services.AddHostedService<CaptureWorker>();
        builder.Services.TryAddSingleton<WipeSignal>();
        return builder;
    }

    /// <summary>The dead-man lease: a wipe requested when the host has not been heard from for <c>Lease:Duration</c>.</summary>
    public static IHostApplicationBuilder AddDeadManLease(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LeaseOptions>().Bind(builder.Configuration.GetSection(LeaseOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<WipeSignal>();
        builder.Services.AddSingleton<DeadManLease>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeadManLease>());
        return builder;
    }
}

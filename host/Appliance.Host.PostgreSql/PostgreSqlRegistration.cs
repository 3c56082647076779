using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Core.Rollouts;
using Appliance.Host.Core.Orders;
using Appliance.Host.Core.Users;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Appliance.Host.PostgreSql;

public static class PostgreSqlRegistration
{
    /// <summary>
    /// The host's shared state in PostgreSQL, in place of the data folder's files: registered
    /// after the file stores, it replaces those it has a table for. The schema guard is the first
    /// hosted service, so nothing reads or writes before the schema is known to be this host's.
    /// </summary>
    public static IHostApplicationBuilder AddHostPostgreSql(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PostgreSqlOptions>().Bind(builder.Configuration.GetSection(PostgreSqlOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        // Migrations get a data source of their own: the stores' one exists only once the schema has passed.
        builder.Services.AddKeyedSingleton(SchemaMigrations.DataSourceKey, (sp, _) => NpgsqlDataSource.Create(sp.GetRequiredService<IOptions<PostgreSqlOptions>>().Value.ConnectionString));
        builder.Services.AddSingleton(sp => new SchemaMigrations(sp.GetRequiredKeyedService<NpgsqlDataSource>(SchemaMigrations.DataSourceKey)));
        builder.Services.AddSingleton(sp => SchemaGuard.Open(
            sp.GetRequiredService<SchemaMigrations>(), sp.GetRequiredService<IOptions<PostgreSqlOptions>>().Value, sp.GetRequiredService<ILogger<SchemaGuard>>()));
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, SchemaGuard>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IAuditTrail, PostgreSqlAuditTrail>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IDeviceOrderLedger, PostgreSqlDeviceOrderLedger>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IUserStore, PostgreSqlUserStore>());
        builder.Services.Replace(ServiceDescriptor.Singleton<ISessionStore, PostgreSqlSessionStore>());
        builder.Services.AddSingleton<DeviceDocuments>();
        builder.Services.Replace(ServiceDescriptor.Singleton<IDeviceCertificates, PostgreSqlDeviceCertificates>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IDeviceSigningKeys, PostgreSqlDeviceSigningKeys>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IDeviceSettingsStore, PostgreSqlDeviceSettings>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IApplianceStatusStore, PostgreSqlApplianceStatuses>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IRolloutStore, PostgreSqlRolloutStore>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IDeviceGroups, PostgreSqlDeviceGroups>());
        builder.Services.Replace(ServiceDescriptor.Singleton<ISeriesArchive, PostgreSqlSeriesArchive>());
        builder.Services.Replace(ServiceDescriptor.Singleton<ICaptureJobRepository, PostgreSqlCaptureJobs>());
        builder.Services.Replace(ServiceDescriptor.Singleton<ICalibrationProfiles, PostgreSqlCalibrationProfiles>());
        builder.Services.Replace(ServiceDescriptor.Singleton<Core.Pacs.IPacsQueue, PostgreSqlPacsQueue>());
        builder.Services.Replace(ServiceDescriptor.Singleton<Core.Releases.IReleaseStore, PostgreSqlReleaseStore>());
        return builder;
    }
}

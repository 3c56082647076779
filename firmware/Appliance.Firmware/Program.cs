using Appliance.Firmware;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.AddApplianceFirmware();
await builder.Build().RunAsync();

using Portal.Web.Configuration;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.Services.AddPortal(builder.Configuration);

WebApplication app = builder.Build();
app.UsePortal();
await app.RunAsync();

/// <summary>The entry point, visible to integration tests.</summary>
public partial class Program;

using Microsoft.Extensions.Options;

namespace Portal.Web.Services.Images;

internal static class ImageServices
{
    public static IServiceCollection AddImages(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ImageOptions>().Bind(configuration.GetSection(ImageOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ImageOptions>, ImageOptionsValidator>();
        services.AddSingleton<ImageLibrary>();
        return services;
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Api.Contracts;

/// <summary>Source-generated JSON for every contract, with the web's camelCase names, so the trimmed single-file
/// client needs no reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SubmitJobRequest))]
[JsonSerializable(typeof(SubmitJobResponse))]
[JsonSerializable(typeof(JobListResponse))]
[JsonSerializable(typeof(JobResponse))]
[JsonSerializable(typeof(JobLogLineResponse))]
[JsonSerializable(typeof(GpuListResponse))]
[JsonSerializable(typeof(DrainGpuRequest))]
[JsonSerializable(typeof(QuotaUsageResponse))]
[JsonSerializable(typeof(QuotaPolicyRequest))]
[JsonSerializable(typeof(QuotaOverviewResponse))]
[JsonSerializable(typeof(UserQuotaResponse))]
[JsonSerializable(typeof(IReadOnlyList<UserResponse>))]
[JsonSerializable(typeof(ApiProblem))]
[JsonSerializable(typeof(KeepSessionRequest))]
[JsonSerializable(typeof(SessionIdleResponse))]
[JsonSerializable(typeof(AppRequest))]
[JsonSerializable(typeof(AppReviewResponse))]
[JsonSerializable(typeof(AppResponse))]
[JsonSerializable(typeof(AppExportResponse))]
[JsonSerializable(typeof(PresetValues))]
[JsonSerializable(typeof(PresetResponse))]
[JsonSerializable(typeof(PresetListResponse))]
[JsonSerializable(typeof(RenamePresetRequest))]
[JsonSerializable(typeof(ImageBuildRequest))]
[JsonSerializable(typeof(ImageBuildEvent))]
[JsonSerializable(typeof(NotificationListResponse))]
[JsonSerializable(typeof(NotificationSettingsRequest))]
[JsonSerializable(typeof(NotificationSettingsResponse))]
[JsonSerializable(typeof(ImageListResponse))]
[JsonSerializable(typeof(PullImageRequest))]
[JsonSerializable(typeof(ImageChangeResponse))]
[JsonSerializable(typeof(CreateBookingRequest))]
[JsonSerializable(typeof(BookingResponse))]
[JsonSerializable(typeof(BookingListResponse))]
public sealed partial class ApiJsonContext : JsonSerializerContext;

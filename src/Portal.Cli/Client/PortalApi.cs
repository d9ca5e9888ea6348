using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Portal.Api.Contracts;

namespace Portal.Cli.Client;

/// <summary>The portal's REST API (<see cref="ApiRoutes.Prefix"/>) over HTTP with a bearer token.</summary>
public sealed class PortalApi : IDisposable
{
    // Ordinary calls give up after this; log streams have no deadline.
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);

    // A pull answers when the image is in; large images take long.
    private static readonly TimeSpan PullTimeout = TimeSpan.FromMinutes(30);

    private readonly HttpClient _http;

    public PortalApi(string baseUrl, string token)
    {
        if (!Uri.TryCreate(baseUrl.TrimEnd('/') + "/", UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new PortalApiException($"'{baseUrl}' is not an http:// or https:// URL.");
        }

        _http = new HttpClient { BaseAddress = baseUri, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("portal-cli", typeof(PortalApi).Assembly.GetName().Version?.ToString(3)));
    }

    /// <summary>The portal's address, with its trailing slash (sessions open at "s/&lt;id&gt;/" below it).</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    /// <param name="request">The job.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <param name="idempotencyKey">Sent as Idempotency-Key: the same key again answers with the first job.</param>
    public Task<SubmitJobResponse> SubmitAsync(SubmitJobRequest request, CancellationToken cancellationToken, string? idempotencyKey = null) =>
        SendAsync(HttpMethod.Post, "jobs", JsonContent.Create(request, ApiJsonContext.Default.SubmitJobRequest), ApiJsonContext.Default.SubmitJobResponse, cancellationToken, idempotencyKey);

    public Task<AppReviewResponse> ReviewAppAsync(AppRequest request, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "apps/review", JsonContent.Create(request, ApiJsonContext.Default.AppRequest), ApiJsonContext.Default.AppReviewResponse, cancellationToken);

    public Task<SubmitJobResponse> SubmitAppAsync(AppRequest request, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "apps", JsonContent.Create(request, ApiJsonContext.Default.AppRequest), ApiJsonContext.Default.SubmitJobResponse, cancellationToken);

    public Task<AppResponse> GetAppAsync(long id, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, "apps/" + Id(id), null, ApiJsonContext.Default.AppResponse, cancellationToken);

    public Task<AppExportResponse> ExportAppAsync(long id, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, $"apps/{Id(id)}/export", null, ApiJsonContext.Default.AppExportResponse, cancellationToken);

    /// <summary>Opens one service's log; the caller reads and disposes it.</summary>
    public Task<Stream> OpenServiceLogAsync(long id, string service, bool follow, CancellationToken cancellationToken) =>
        OpenTextAsync($"apps/{Id(id)}/services/{Uri.EscapeDataString(service)}/logs?follow={(follow ? "true" : "false")}", cancellationToken);

    public Task<JobListResponse> ListJobsAsync(IReadOnlyList<string> states, int skip, int take, bool allUsers, CancellationToken cancellationToken)
    {
        var query = $"skip={skip.ToString(CultureInfo.InvariantCulture)}&take={take.ToString(CultureInfo.InvariantCulture)}";
        if (states.Count > 0)
        {
            query += "&state=" + Uri.EscapeDataString(string.Join(',', states));
        }

        return SendAsync(HttpMethod.Get, (allUsers ? "admin/jobs?" : "jobs?") + query, null, ApiJsonContext.Default.JobListResponse, cancellationToken);
    }

    public Task<JobResponse> GetJobAsync(long id, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, "jobs/" + Id(id), null, ApiJsonContext.Default.JobResponse, cancellationToken);

    public Task<JobResponse> CancelJobAsync(long id, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"jobs/{Id(id)}/cancel", null, ApiJsonContext.Default.JobResponse, cancellationToken);

    public Task<GpuListResponse> GpusAsync(CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, "gpus", null, ApiJsonContext.Default.GpuListResponse, cancellationToken);

    public Task<QuotaUsageResponse> QuotaAsync(CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, "quota", null, ApiJsonContext.Default.QuotaUsageResponse, cancellationToken);

    public Task<PresetListResponse> ListPresetsAsync(CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, "presets", null, ApiJsonContext.Default.PresetListResponse, cancellationToken);

    /// <summary>The preset <paramref name="name"/> as the caller gets it: their own, else the box-wide one.</summary>
    public Task<PresetResponse> GetPresetAsync(string name, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, "presets/" + Uri.EscapeDataString(name), null, ApiJsonContext.Default.PresetResponse, cancellationToken);

    /// <summary>Deletes one of the caller's presets, or with <paramref name="boxWide"/> (an admin token) a box-wide one.</summary>
    public async Task DeletePresetAsync(string name, bool boxWide, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(CallTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Delete, Path((boxWide ? "admin/presets/" : "presets/") + Uri.EscapeDataString(name)));
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
        await ThrowIfFailedAsync(response, deadline.Token);
    }
    public Task<BookingListResponse> ListBookingsAsync(CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, "bookings", null, ApiJsonContext.Default.BookingListResponse, cancellationToken);

    /// <summary>Books GPUs: for the caller, or with <see cref="CreateBookingRequest.User"/> (an admin token) for anyone.</summary>
    public Task<BookingResponse> CreateBookingAsync(CreateBookingRequest request, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, request.User is null ? "bookings" : "admin/bookings",
            JsonContent.Create(request, ApiJsonContext.Default.CreateBookingRequest), ApiJsonContext.Default.BookingResponse, cancellationToken);

    /// <summary>Deletes one of the caller's bookings, or with <paramref name="anyone"/> (an admin token) anyone's.</summary>
    public async Task DeleteBookingAsync(long id, bool anyone, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(CallTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Delete, Path((anyone ? "admin/bookings/" : "bookings/") + Id(id)));
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
        await ThrowIfFailedAsync(response, deadline.Token);
    }

    public Task<ImageListResponse> ImagesAsync(CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, "images", null, ApiJsonContext.Default.ImageListResponse, cancellationToken);

    /// <summary>Pulls an image; the portal answers when the pull has finished, so this waits up to <see cref="PullTimeout"/>.</summary>
    public Task<ImageChangeResponse> PullImageAsync(PullImageRequest request, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "images", JsonContent.Create(request, ApiJsonContext.Default.PullImageRequest), ApiJsonContext.Default.ImageChangeResponse,
            cancellationToken, timeout: PullTimeout);

    public Task<ImageChangeResponse> RemoveImageAsync(string reference, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, "images?reference=" + Uri.EscapeDataString(reference), null, ApiJsonContext.Default.ImageChangeResponse, cancellationToken);

    /// <summary>Checks the token: true when it is valid (with or without the read scope).</summary>
    public async Task VerifyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ListJobsAsync([], 0, 1, allUsers: false, cancellationToken);
        }
        catch (PortalApiException e) when (e.Status == HttpStatusCode.Forbidden)
        {
            // A valid token without jobs:read (e.g. a submit-only token for a pipeline).
        }
    }

    /// <summary>Opens the job's output (stdout and stderr in order) from line <paramref name="offset"/> on, with each
    /// line's time before it when <paramref name="timestamps"/>; the caller reads and disposes it.</summary>
    public Task<Stream> OpenLogsAsync(long id, bool follow, int offset, CancellationToken cancellationToken, bool timestamps = false) =>
        OpenTextAsync($"jobs/{Id(id)}/logs?follow={(follow ? "true" : "false")}&offset={offset.ToString(CultureInfo.InvariantCulture)}"
            + (timestamps ? "&timestamps=true" : ""), cancellationToken);

    /// <summary>Starts an image build and hands each NDJSON event of its answer to <paramref name="onEvent"/>, the last
    /// one saying how it ended; returns that one. No deadline: the portal and the launcher keep the build's.</summary>
    public async Task<ImageBuildEvent> BuildImageAsync(ImageBuildRequest build, Action<ImageBuildEvent> onEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onEvent);
        using var request = new HttpRequestMessage(HttpMethod.Post, Path("images/build")) { Content = JsonContent.Create(build, ApiJsonContext.Default.ImageBuildRequest) };
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            ImageBuildEvent e;
            try
            {
                e = JsonSerializer.Deserialize(line, ApiJsonContext.Default.ImageBuildEvent)
                    ?? throw new PortalApiException(response.StatusCode, null, "The portal sent an empty build event.");
            }
            catch (JsonException ex)
            {
                throw new PortalApiException(response.StatusCode, null, "The portal's build answer is not what this version of portal expects: " + ex.Message, ex);
            }

            onEvent(e);
            if (e.Type != ImageBuildEventTypes.Log)
            {
                return e;
            }
        }

        throw new PortalApiException(response.StatusCode, null, "The portal's answer ended before the build did (the connection was cut).");
    }

    private async Task<Stream> OpenTextAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Path(path));
        var response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        try
        {
            await ThrowIfFailedAsync(response, cancellationToken);
            return await response.Content.ReadAsStreamAsync(cancellationToken);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public void Dispose() => _http.Dispose();

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static string Path(string relative) => ApiRoutes.Prefix.TrimStart('/') + "/" + relative;

    private async Task<T> SendAsync<T>(
        HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken cancellationToken, string? idempotencyKey = null,
        TimeSpan? timeout = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? CallTimeout);
        using var request = new HttpRequestMessage(method, Path(path)) { Content = content };
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
        await ThrowIfFailedAsync(response, deadline.Token);
        try
        {
            return await response.Content.ReadFromJsonAsync(type, deadline.Token)
                ?? throw new PortalApiException(response.StatusCode, null, "The portal sent an empty answer.");
        }
        catch (JsonException e)
        {
            throw new PortalApiException(response.StatusCode, null, "The portal's answer is not what this version of portal expects: " + e.Message, e);
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new PortalApiException(null, null, $"Cannot reach the portal at {_http.BaseAddress}: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested || e.InnerException is TimeoutException)
        {
            throw new PortalApiException(null, null, $"The portal at {_http.BaseAddress} did not answer in time.", e);
        }
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        ApiProblem? problem = null;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            try
            {
                problem = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.ApiProblem, cancellationToken);
            }
            catch (JsonException)
            {
                // Not Problem Details after all (a proxy's error page): the status says enough.
            }
        }

        var message = problem?.Detail ?? problem?.Title ?? $"The portal answered {(int)response.StatusCode} {response.ReasonPhrase}.";
        if (response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter?.Delta is { } wait)
        {
            message += string.Create(CultureInfo.InvariantCulture, $" (retry after {wait.TotalSeconds:0} s)");
        }

        throw new PortalApiException(response.StatusCode, problem, message);
    }
}

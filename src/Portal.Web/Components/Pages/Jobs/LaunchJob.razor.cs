using Microsoft.AspNetCore.Components;
using Portal.Core.Jobs;
using Portal.Data.Jobs;
using Portal.Data.Presets;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.JobForms;

namespace Portal.Web.Components.Pages.Jobs;

public partial class LaunchJob
{
    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "launch")]
    private LaunchForm Form { get; set; } = default!;

    /// <summary>Pre-fills a new form (the home page's "Run your first job" link); a posted form keeps what was typed.</summary>
    [SupplyParameterFromQuery(Name = "image")]
    private string? PrefillImage { get; set; }

    [SupplyParameterFromQuery(Name = "name")]
    private string? PrefillName { get; set; }

    [SupplyParameterFromQuery(Name = "command")]
    private string? PrefillCommand { get; set; }

    /// <summary>"Run again": the id of one of the user's own jobs whose every field the new form starts from.</summary>
    [SupplyParameterFromQuery(Name = "from")]
    private long? CopyFrom { get; set; }

    /// <summary>Fills a new form from a preset: the user's own of this name, else the box-wide one.</summary>
    [SupplyParameterFromQuery(Name = "preset")]
    private string? PresetQuery { get; set; }

    /// <summary>Set after a preset was deleted, to say so on the form the browser is sent back to.</summary>
    [SupplyParameterFromQuery(Name = "deleted")]
    private string? DeletedQuery { get; set; }

    [SupplyParameterFromForm(FormName = "preset-manage")]
    private PresetManageForm? Manage { get; set; }

    private CurrentUser? _user;
    private IReadOnlyList<JobPreset> _presets = [];
    private JobPreset? _preset;
    private string? _presetMissing;
    private string? _deletedPreset;
    private string? _manageError;
    private IReadOnlyList<MountRoot> _roots = [];
    private FormErrors _errors = FormErrors.None;
    private long? _copiedFrom;
    private Portal.Core.Quotas.QuotaUsage? _usage;
    private int _usableGpus;
    private int _freeGpus;

    /// <summary>Where the summary's links point: this page, query included (the base href is "/").</summary>
    private string FormPath => "/" + Navigation.ToBaseRelativePath(Navigation.Uri).Split('#')[0];

    /// <summary>The names of the images in the user's own storage, offered on the image field; empty when the launcher
    /// cannot say (the form still takes any name).</summary>
    private IReadOnlyList<string> _images = [];

    private async Task<IReadOnlyList<string>> MyImagesAsync(string linuxUser)
    {
        try
        {
            var images = await Launcher.ImagesAsync(linuxUser, HttpContext.RequestAborted);
            return [.. images.SelectMany(i => i.Names).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        }
        catch (Portal.Launcher.Client.LauncherException)
        {
            return [];
        }
    }

    protected override async Task OnInitializedAsync()
    {
        bool fresh = Form is null;
        // A model before the first await: the page renders while the copied job is read, and EditForm needs one.
        Form ??= new();
        _user = CurrentUser.From(HttpContext.User);
        if (fresh && CopyFrom is { } from)
        {
            // Only the owner's own job: an admin who could see another user's job would launch it as themselves, with
            // the other user's mounts and settings, which is a different job; another user's id is not found.
            JobDetails? source = await Jobs.GetAsync(from, _user.Id, isAdmin: false, HttpContext.RequestAborted);
            if (source is null || source.Job.Spec.IsApp || source.Job.Spec.Session is not null)
            {
                Form = new();
                Navigation.NotFound();
                return;
            }

            Form = LaunchForm.From(source.Job.Spec);
            _copiedFrom = from;
        }
        else if (fresh && !string.IsNullOrEmpty(PresetQuery))
        {
            // Only ever the user's own or a box-wide preset: another user's of this name is as absent as a missing one.
            _preset = await Presets.FindAsync(_user.Id, PresetQuery, HttpContext.RequestAborted);
            if (_preset is null)
            {
                _presetMissing = PresetQuery;
            }
            else
            {
                Form = LaunchForm.FromPreset(_preset.Values);
            }
        }

        _deletedPreset = string.IsNullOrEmpty(DeletedQuery) ? null : DeletedQuery;
        _presets = await Presets.ListAsync(_user.Id, HttpContext.RequestAborted);

        Form ??= new();
        if (fresh)
        {
            Form.Image = PrefillImage ?? Form.Image;
            Form.Name = PrefillName ?? Form.Name;
            Form.Command = PrefillCommand ?? Form.Command;
            Form.SubmissionKey = "form-" + Guid.NewGuid().ToString("N");
        }

        if (_user.LinuxUserName is not null)
        {
            _roots = await MountRoots.ForAsync(_user.LinuxUserName, HttpContext.RequestAborted);
            _usage = await Usage.QuotaUsageAsync(_user.Id, HttpContext.RequestAborted);
            var usable = (await GpuStore.ListGpusAsync(HttpContext.RequestAborted)).Where(g => g.IsPresent && !g.Drained && !g.HasMigInstances).ToList();
            _usableGpus = usable.Count;
            _freeGpus = usable.Count(g => g.HeldByJobId is null);
            _images = await MyImagesAsync(_user.LinuxUserName);
            if (fresh && _copiedFrom is null && _preset?.Values.Gpus is null && _usableGpus == 0)
            {
                // A box without GPUs: a default of one would make every first submission fail.
                Form.Gpus = 0;
            }
        }
    }

    private async Task SubmitAsync(Microsoft.AspNetCore.Components.Forms.EditContext context)
    {
        if (_user?.LinuxUserName is null)
        {
            return;
        }

        if (Form.Intent == LaunchForm.SavePresetIntent)
        {
            await SavePresetAsync(context, _user);
            return;
        }

        (JobSpec spec, IReadOnlyList<FieldError> parseErrors) = Form.ToSpec();
        if (parseErrors.Count > 0)
        {
            // All the errors of this post at once: the lines that cannot be read, and whatever else is wrong.
            _errors = new([.. parseErrors, .. await Submissions.CheckAsync(_user, spec, HttpContext.RequestAborted)]);
            _errors.MarkInvalid(context, Form);
            return;
        }

        string? key = string.IsNullOrEmpty(Form.SubmissionKey) ? null : Form.SubmissionKey;
        SubmitResult result = await Submissions.SubmitAsync(_user, spec, HttpContext.RequestAborted, key);
        if (result.JobId is { } id)
        {
            Navigation.NavigateTo($"/jobs/{id}", forceLoad: true);
            return;
        }

        _errors = new(result.Errors);

        _errors.MarkInvalid(context, Form);
    }

    /// <summary>"Save as preset": the form's values under the typed name, then the form again, filled from it.</summary>
    private async Task SavePresetAsync(Microsoft.AspNetCore.Components.Forms.EditContext context, CurrentUser user)
    {
        (Portal.Api.Contracts.PresetValues values, IReadOnlyList<FieldError> parseErrors) = Form.ToPresetValues();
        string name = (Form.PresetName ?? "").Trim();
        bool boxWide = Form.PresetBoxWide && user.IsAdmin;
        if (parseErrors.Count == 0)
        {
            PresetSaveResult saved = await PresetEditor.SaveAsync(user, boxWide, name, values, "on the launch form", HttpContext.RequestAborted);
            if (saved.Preset is { } preset)
            {
                Navigation.NavigateTo(PresetLink(preset.Name), forceLoad: true);
                return;
            }

            // The name's problems go next to the name; the values' (too large as a whole) belong to no one input.
            parseErrors = [.. saved.Errors.Select(e => new FieldError(e.Field == "name" ? nameof(LaunchForm.PresetName) : "", e.Message))];
        }
        else if (PresetRules.NameError(name) is { } nameError)
        {
            parseErrors = [.. parseErrors, new FieldError(nameof(LaunchForm.PresetName), nameError)];
        }

        _errors = new(parseErrors);
        _errors.MarkInvalid(context, Form);
    }

    /// <summary>Rename or delete the preset the form was filled from (one's own; a box-wide one for an administrator).</summary>
    private async Task ManagePresetAsync()
    {
        if (_user is null || Manage is null || string.IsNullOrEmpty(Manage.Name))
        {
            return;
        }

        bool boxWide = Manage.BoxWide && _user.IsAdmin;
        if (Manage.BoxWide && !_user.IsAdmin)
        {
            _manageError = "Only administrators change box-wide presets.";
            return;
        }

        if (Manage.Action == "delete")
        {
            bool deleted = await PresetEditor.DeleteAsync(_user, boxWide, Manage.Name, "on the launch form", HttpContext.RequestAborted);
            Navigation.NavigateTo(deleted ? "/jobs/new?deleted=" + Uri.EscapeDataString(Manage.Name) : PresetLink(Manage.Name), forceLoad: true);
            return;
        }

        string newName = (Manage.NewName ?? "").Trim();
        PresetRenameResult renamed = await PresetEditor.RenameAsync(_user, boxWide, Manage.Name, newName, "on the launch form", HttpContext.RequestAborted);
        if (renamed.Preset is { } preset)
        {
            Navigation.NavigateTo(PresetLink(preset.Name), forceLoad: true);
            return;
        }

        _manageError = renamed.Status == PresetChangeStatus.NotFound ? $"There is no preset named {Manage.Name} to rename." : renamed.Error;
    }

    private static string PresetLink(string name) => "/jobs/new?preset=" + Uri.EscapeDataString(name);
}

/// <summary>The rename/delete form of the preset the launch form is filled from.</summary>
public sealed class PresetManageForm
{
    public string Name { get; set; } = "";

    public bool BoxWide { get; set; }

    public string? NewName { get; set; }

    /// <summary><c>rename</c> or <c>delete</c>: the button that posted the form.</summary>
    public string Action { get; set; } = "";
}

using Microsoft.AspNetCore.Components.Forms;
using Portal.Core.Jobs;

namespace Portal.Web.Services.JobForms;

/// <summary>
/// A launch form's errors as the page shows them: a summary that links to each field, and per field the error text,
/// <c>aria-invalid</c> and <c>aria-describedby</c>. Field names are <see cref="JobSpec"/>'s properties; an error that
/// belongs to no input (the queue limit) has the field "" and is listed in the summary without a link.
/// </summary>
public sealed class FormErrors(IReadOnlyList<FieldError> errors)
{
    /// <summary>The input's id for each field, the same on the job and the session form.</summary>
    private static readonly Dictionary<string, string> InputIds = new(StringComparer.Ordinal)
    {
        [nameof(JobSpec.Name)] = "name",
        [nameof(JobSpec.Image)] = "image",
        [nameof(JobSpec.Command)] = "command",
        [nameof(JobSpec.Gpus)] = "gpus",
        [nameof(JobSpec.Cpus)] = "cpus",
        [nameof(JobSpec.MemoryMiB)] = "memory",
        [nameof(JobSpec.Walltime)] = "walltime",
        [nameof(JobSpec.Environment)] = "environment",
        [nameof(JobSpec.WorkingDirectory)] = "workdir",
        [nameof(JobSpec.Mounts)] = "mounts",
        [nameof(JobSpec.Session)] = "kind",
        [nameof(JobSpec.Restartable)] = "restartable",
        [nameof(LaunchForm.PresetName)] = "preset-name",
    };

    public static FormErrors None { get; } = new([]);

    public IReadOnlyList<FieldError> All { get; } = errors;

    public bool Any => All.Count > 0;

    public IEnumerable<string> For(string field) => All.Where(e => e.Field == field).Select(e => e.Message);

    /// <summary>The id of the field's error text, for the input's aria-describedby; null when it has none.</summary>
    public string? DescribedBy(string field) => For(field).Any() ? ErrorId(field) : null;

    public static string ErrorId(string field) => InputId(field) is { } id ? id + "-error" : "form-error";

    /// <summary>The id of the input a summary line links to; null for an error of the whole form.</summary>
    public static string? InputId(string field) => InputIds.GetValueOrDefault(field);

    /// <summary>
    /// Puts the errors into the form's <see cref="EditContext"/>, from which Blazor's inputs set <c>aria-invalid</c>
    /// (they drop one passed in while the context has no message for their field).
    /// </summary>
    /// <param name="context">The form's edit context.</param>
    /// <param name="form">The form model the inputs are bound to (its properties are named as the spec's fields,
    /// except the session's kind).</param>
    public void MarkInvalid(EditContext context, LaunchForm form)
    {
        ArgumentNullException.ThrowIfNull(context);
        var store = new ValidationMessageStore(context);
        foreach (FieldError error in All)
        {
            string property = error.Field == nameof(JobSpec.Session) ? nameof(LaunchForm.SessionKind) : error.Field;
            if (InputIds.ContainsKey(error.Field))
            {
                store.Add(new FieldIdentifier(form, property), error.Message);
            }
        }

        context.NotifyValidationStateChanged();
    }
}

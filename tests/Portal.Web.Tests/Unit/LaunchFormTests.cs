using Portal.Web.Services.JobForms;

namespace Portal.Web.Tests.Unit;

/// <summary>The launch and session forms post statically: a field the user emptied arrives as null, not as "".</summary>
public sealed class LaunchFormTests
{
    [Fact]
    public void Fields_emptied_in_the_form_read_as_empty_and_the_spec_is_still_built()
    {
        var form = new LaunchForm
        {
            Name = null!, Image = "localhost/busybox:latest", Command = "sleep\n5", Environment = null!, Mounts = null!,
            WorkingDirectory = null!, SessionKind = "Jupyter",
        };

        (var spec, var errors) = form.ToSpec();

        Assert.Empty(errors);
        Assert.NotNull(spec);
        Assert.Equal("", spec.Name);
        Assert.Empty(spec.Environment);
        Assert.Empty(spec.Mounts);
        Assert.Equal(["sleep", "5"], spec.Command);
        Assert.NotNull(spec.Session);
    }

    [Fact]
    public void A_form_made_from_a_spec_builds_the_same_spec_again_and_carries_no_submission_key()
    {
        var spec = new Portal.Core.Jobs.JobSpec
        {
            Name = "train", Image = "localhost/busybox:latest", Command = ["sh", "-c", "echo  a  b"],
            Environment = new Dictionary<string, string> { ["A"] = "1", ["B"] = "x=y z" }, WorkingDirectory = "/work",
            Mounts = [new("/srv/data", "/data", true), new("/srv/out", "/out", false)], Gpus = Portal.Core.Jobs.GpuRequest.Any(2),
            Cpus = 0.5, MemoryMiB = 300, Walltime = TimeSpan.FromMinutes(7),
            Session = new Portal.Core.Sessions.SessionApp(Portal.Core.Sessions.SessionKind.WebApp, 8080),
        };

        var form = LaunchForm.From(spec);
        (var again, var errors) = form.ToSpec();

        Assert.Empty(errors);
        Assert.Equal("", form.SubmissionKey);
        Assert.Equal(spec.Name, again.Name);
        Assert.Equal(spec.Image, again.Image);
        Assert.Equal(spec.Command, again.Command);
        Assert.Equal(spec.Environment, again.Environment);
        Assert.Equal(spec.WorkingDirectory, again.WorkingDirectory);
        Assert.Equal(spec.Mounts, again.Mounts);
        Assert.Equal(2, again.Gpus.Count);
        Assert.Equal(spec.Cpus, again.Cpus);
        Assert.Equal(spec.MemoryMiB, again.MemoryMiB);
        Assert.Equal(spec.Walltime, again.Walltime);
        Assert.Equal(spec.Session, again.Session);
    }

    [Fact]
    public void Unreadable_lines_are_reported_and_the_rest_of_the_spec_is_still_built_for_checking()
    {
        var form = new LaunchForm { Name = "x", Image = "localhost/busybox:latest", Environment = "GOOD=1\nBAD", Mounts = "nocolon" };

        (var spec, var errors) = form.ToSpec();

        Assert.Equal(["Environment", "Mounts"], errors.Select(e => e.Field));
        Assert.Equal("1", spec.Environment["GOOD"]);
        Assert.Empty(spec.Mounts);
    }

    [Fact]
    public void A_form_saved_as_a_preset_fills_a_new_form_with_the_same_values()
    {
        var form = new LaunchForm
        {
            Name = "train", Image = "localhost/pytorch:2.5", Command = "python\ntrain.py\n--epochs=3", Environment = "B=2\nA=one two",
            WorkingDirectory = "/work", Mounts = "/srv/data:/data:ro\n/tmp/out:/out", Gpus = 2, Cpus = 1.5, MemoryMiB = 2048, Walltime = 90,
            PresetName = "not a value", SubmissionKey = "form-key",
        };

        (var values, var errors) = form.ToPresetValues();
        var filled = LaunchForm.FromPreset(values);

        Assert.Empty(errors);
        Assert.Equal(("train", "localhost/pytorch:2.5", "python\ntrain.py\n--epochs=3"), (filled.Name, filled.Image, filled.Command));
        Assert.Equal("A=one two\nB=2", filled.Environment);
        Assert.Equal(("/work", "/srv/data:/data:ro\n/tmp/out:/out"), (filled.WorkingDirectory, filled.Mounts));
        Assert.Equal((2, 1.5, 2048L, 90), (filled.Gpus, filled.Cpus, filled.MemoryMiB, filled.Walltime));
        Assert.Equal(("", ""), (filled.PresetName, filled.SubmissionKey));
    }

    [Fact]
    public void A_preset_that_leaves_fields_out_keeps_the_forms_defaults_for_them()
    {
        var defaults = new LaunchForm();

        var filled = LaunchForm.FromPreset(new Portal.Api.Contracts.PresetValues { Image = "localhost/busybox:latest" });

        Assert.Equal("localhost/busybox:latest", filled.Image);
        Assert.Equal((defaults.Gpus, defaults.Cpus, defaults.MemoryMiB, defaults.Walltime), (filled.Gpus, filled.Cpus, filled.MemoryMiB, filled.Walltime));
        Assert.Equal(("", ""), (filled.Command, filled.Environment));
    }

    [Fact]
    public void A_form_line_that_cannot_be_read_is_an_error_when_saving_a_preset_as_when_launching()
    {
        var form = new LaunchForm { Image = "localhost/busybox:latest", Environment = "NOEQUALS", Mounts = "just-one-part" };

        (_, var errors) = form.ToPresetValues();

        Assert.Equal(["Environment", "Mounts"], errors.Select(e => e.Field).Order(StringComparer.Ordinal));
    }
}

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
}

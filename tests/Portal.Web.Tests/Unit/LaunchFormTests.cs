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
}

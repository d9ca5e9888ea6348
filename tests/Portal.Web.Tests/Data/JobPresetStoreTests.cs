using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Api.Contracts;
using Portal.Data.Entities.Presets;
using Portal.Data.Presets;

namespace Portal.Web.Tests.Data;

/// <summary>The preset store on a real PostgreSQL: whose presets a user sees, which one a name gives them, and the
/// rules the entity and the table keep.</summary>
public sealed class JobPresetStoreTests
{
    private static readonly PresetValues PyTorch = new() { Image = "localhost/pytorch:2.5", Gpus = 1, Command = ["python", "train.py"] };

    [Fact]
    public async Task A_user_sees_their_own_and_the_box_wide_presets_and_never_another_users()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobPresetStore(database, TimeProvider.System);
        var ada = await database.AddUserAsync("ada", 6301);
        var bea = await database.AddUserAsync("bea", 6302);
        await store.SaveAsync(ada, "mine", PyTorch);
        await store.SaveAsync(bea, "beas secret", PyTorch with { Image = "localhost/secret:1" });
        await store.SaveAsync(null, "PyTorch 1 GPU", PyTorch);

        var adas = await store.ListAsync(ada);
        var peek = await store.FindAsync(ada, "beas secret");

        Assert.Equal([("mine", false), ("PyTorch 1 GPU", true)], adas.Select(p => (p.Name, p.BoxWide)));
        Assert.Null(peek);
        Assert.Equal("localhost/pytorch:2.5", (await store.FindAsync(bea, "PyTorch 1 GPU"))!.Values.Image);
    }

    [Fact]
    public async Task A_users_own_preset_hides_the_box_wide_one_of_the_same_name_for_them_alone()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobPresetStore(database, TimeProvider.System);
        var ada = await database.AddUserAsync("ada", 6311);
        var bea = await database.AddUserAsync("bea", 6312);
        await store.SaveAsync(null, "pytorch", PyTorch);
        await store.SaveAsync(ada, "pytorch", PyTorch with { Gpus = 0, Image = "localhost/ada:1" });

        var forAda = await store.FindAsync(ada, "pytorch");
        var forBea = await store.FindAsync(bea, "pytorch");
        var adasList = await store.ListAsync(ada);

        Assert.Equal(("localhost/ada:1", false), (forAda!.Values.Image, forAda.BoxWide));
        Assert.Equal(("localhost/pytorch:2.5", true), (forBea!.Values.Image, forBea.BoxWide));
        Assert.True(adasList.Single(p => p.BoxWide).Shadowed);
        Assert.False((await store.ListAsync(bea)).Single().Shadowed);
    }

    [Fact]
    public async Task Saving_a_name_again_replaces_its_values_and_keeps_one_row()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobPresetStore(database, TimeProvider.System);
        var ada = await database.AddUserAsync("ada", 6321);

        var created = await store.SaveAsync(ada, "train", PyTorch);
        var replaced = await store.SaveAsync(ada, "train", new PresetValues { Image = "localhost/other:1", Environment = new Dictionary<string, string> { ["A"] = "1" } });

        Assert.Equal(PresetSaveStatus.Created, created.Status);
        Assert.Equal(PresetSaveStatus.Updated, replaced.Status);
        var stored = (await store.FindAsync(ada, "train"))!;
        Assert.Equal("localhost/other:1", stored.Values.Image);
        Assert.Null(stored.Values.Gpus);
        Assert.Equal("1", stored.Values.Environment!["A"]);
        await using var db = database.CreateDbContext();
        Assert.Equal(1, await db.JobPresets.CountAsync(p => p.OwnerId == ada));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" leading")]
    [InlineData("trailing ")]
    [InlineData("-dash-first")]
    [InlineData("slash/in/name")]
    [InlineData("quote'name")]
    [InlineData("ünïcode")]
    public async Task A_name_that_a_URL_or_a_shell_would_trip_on_is_refused_and_nothing_is_stored(string name)
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobPresetStore(database, TimeProvider.System);
        var ada = await database.AddUserAsync("ada", 6331);

        var result = await store.SaveAsync(ada, name, PyTorch);

        Assert.Equal(PresetSaveStatus.Invalid, result.Status);
        Assert.Contains(result.Errors, e => e.Field == "name");
        Assert.Empty(await store.ListAsync(ada));
    }

    [Fact]
    public async Task Values_larger_than_the_bound_are_refused_by_the_store_the_entity_and_the_table()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobPresetStore(database, TimeProvider.System);
        var ada = await database.AddUserAsync("ada", 6341);
        var huge = new PresetValues { Command = [new string('x', PresetRules.MaxValuesChars)] };

        var result = await store.SaveAsync(ada, "huge", huge);

        Assert.Equal(PresetSaveStatus.Invalid, result.Status);
        Assert.Contains(result.Errors, e => e.Field == "");
        Assert.Throws<ArgumentException>(() => new JobPresetRecord(ada, "huge", "{\"x\":\"" + new string('x', PresetRules.MaxValuesChars) + "\"}", DateTimeOffset.UtcNow));
        Assert.Throws<ArgumentException>(() => new JobPresetRecord(ada, "bad/name", "{}", DateTimeOffset.UtcNow));
        // A hand-written row the entity would refuse: the table's own checks refuse it too.
        var tooBig = await Assert.ThrowsAsync<PostgresException>(() => database.ExecuteAsync(
            $"INSERT INTO \"JobPresets\" (\"OwnerId\", \"Name\", \"ValuesJson\", \"CreatedAt\", \"UpdatedAt\") VALUES ('{ada}', 'x', jsonb_build_object('c', repeat('x', {2 * PresetRules.MaxValuesChars})), now(), now())"));
        var badName = await Assert.ThrowsAsync<PostgresException>(() => database.ExecuteAsync(
            $"INSERT INTO \"JobPresets\" (\"OwnerId\", \"Name\", \"ValuesJson\", \"CreatedAt\", \"UpdatedAt\") VALUES ('{ada}', 'a/b', '{{}}', now(), now())"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, tooBig.SqlState);
        Assert.Equal(PostgresErrorCodes.CheckViolation, badName.SqlState);
    }

    [Fact]
    public async Task Two_box_wide_presets_cannot_share_a_name_even_though_their_owner_is_null()
    {
        await using var database = await TestDatabase.CreateAsync();
        await new JobPresetStore(database, TimeProvider.System).SaveAsync(null, "shared", PyTorch);

        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => database.ExecuteAsync(
            "INSERT INTO \"JobPresets\" (\"OwnerId\", \"Name\", \"ValuesJson\", \"CreatedAt\", \"UpdatedAt\") VALUES (NULL, 'shared', '{}', now(), now())"));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);
    }

    [Fact]
    public async Task Rename_moves_the_name_refuses_a_taken_one_and_touches_only_the_owners_preset()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobPresetStore(database, TimeProvider.System);
        var ada = await database.AddUserAsync("ada", 6351);
        var bea = await database.AddUserAsync("bea", 6352);
        await store.SaveAsync(ada, "old", PyTorch);
        await store.SaveAsync(ada, "taken", PyTorch);
        await store.SaveAsync(bea, "old", PyTorch);

        var taken = await store.RenameAsync(ada, "old", "taken");
        var invalid = await store.RenameAsync(ada, "old", "no/slash");
        var renamed = await store.RenameAsync(ada, "old", "new");
        var notAdas = await store.RenameAsync(ada, "old", "again");

        Assert.Equal(PresetChangeStatus.NameTaken, taken.Status);
        Assert.Equal(PresetChangeStatus.Invalid, invalid.Status);
        Assert.Equal(PresetChangeStatus.Done, renamed.Status);
        Assert.Equal("new", renamed.Preset!.Name);
        Assert.Equal(PresetChangeStatus.NotFound, notAdas.Status);
        Assert.Equal(["new", "taken"], (await store.ListAsync(ada)).Select(p => p.Name));
        Assert.Equal(["old"], (await store.ListAsync(bea)).Select(p => p.Name));
    }

    [Fact]
    public async Task Delete_removes_only_the_named_owners_preset()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobPresetStore(database, TimeProvider.System);
        var ada = await database.AddUserAsync("ada", 6361);
        var bea = await database.AddUserAsync("bea", 6362);
        await store.SaveAsync(ada, "same", PyTorch);
        await store.SaveAsync(bea, "same", PyTorch);
        await store.SaveAsync(null, "same", PyTorch);

        Assert.True(await store.DeleteAsync(ada, "same"));
        Assert.False(await store.DeleteAsync(ada, "same"));

        Assert.True((await store.FindAsync(ada, "same"))!.BoxWide);
        Assert.False((await store.FindAsync(bea, "same"))!.BoxWide);
    }

    [Fact]
    public async Task A_user_may_keep_at_most_the_bounded_number_of_presets()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobPresetStore(database, TimeProvider.System);
        var ada = await database.AddUserAsync("ada", 6371);
        for (int i = 0; i < PresetRules.MaxPerOwner; i++)
        {
            Assert.Equal(PresetSaveStatus.Created, (await store.SaveAsync(ada, $"p{i}", PyTorch)).Status);
        }

        var oneMore = await store.SaveAsync(ada, "one-more", PyTorch);
        var replace = await store.SaveAsync(ada, "p0", PyTorch with { Gpus = 2 });

        Assert.Equal(PresetSaveStatus.Invalid, oneMore.Status);
        Assert.Equal(PresetSaveStatus.Updated, replace.Status);
    }

    [Fact]
    public async Task Deleting_an_account_deletes_its_presets_but_not_the_box_wide_ones()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobPresetStore(database, TimeProvider.System);
        var ada = await database.AddUserAsync("ada", 6381);
        await store.SaveAsync(ada, "mine", PyTorch);
        await store.SaveAsync(null, "box", PyTorch);

        await database.ExecuteAsync($"DELETE FROM \"AspNetUsers\" WHERE \"Id\" = '{ada}'");

        await using var db = database.CreateDbContext();
        Assert.Equal(["box"], await db.JobPresets.Select(p => p.Name).ToListAsync());
    }
}

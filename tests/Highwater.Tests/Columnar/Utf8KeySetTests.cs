using System.Text;
using Highwater.Pipeline.Core.WorkFiles;
using Xunit;

namespace Highwater.Tests.Columnar;

/// <summary>The set that matches a block's UTF-8 values without making strings of them.</summary>
public sealed class Utf8KeySetTests
{
    private static bool Has(Utf8KeySet set, string value) => set.Contains(Encoding.UTF8.GetBytes(value));

    [Fact]
    public void Members_match_by_their_exact_bytes_only()
    {
        var longId = new string('x', 300);
        var set = new Utf8KeySet(["O-1", "Ö-ü", "", longId, "O-1", null]);

        Assert.Equal(4, set.Count); // the repeat and the null are not members
        Assert.True(Has(set, "O-1"));
        Assert.True(Has(set, "Ö-ü"));
        Assert.True(Has(set, ""));
        Assert.True(Has(set, longId));
        Assert.False(Has(set, "O-10"));          // a longer id with the member as its prefix
        Assert.False(Has(set, "O-2"));           // same length, other bytes
        Assert.False(Has(set, "o-1"));           // ordinal, not case-insensitive
        Assert.False(Has(set, "O-\u00fc"));      // same length in characters, other bytes
        Assert.False(Has(set, longId + "y"));    // another long one
    }

    [Fact]
    public void An_empty_set_holds_nothing()
    {
        var set = new Utf8KeySet([]);
        Assert.Equal(0, set.Count);
        Assert.False(Has(set, ""));
        Assert.False(Has(set, new string('x', 300)));
    }
}

using Xunit;
using Highwater.Pipeline.Core.Contracts;

namespace Highwater.Tests.Contracts;

/// <summary>The evolution table of <see cref="SchemaEvolution"/>: which declared type a published type may become.</summary>
public sealed class SchemaEvolutionTableTests
{
    private static ColumnType Type(string text) => ColumnType.TryParse(text, out var t) ? t : throw new ArgumentException(text);

    [Theory]
    [InlineData("int32", "int64")]
    [InlineData("decimal(18,2)", "decimal(20,2)")]
    [InlineData("decimal(18,2)", "decimal(19,3)")]
    [InlineData("decimal(9,0)", "decimal(38,10)")]
    public void A_widening_keeps_every_published_value(string published, string declared)
    {
        Assert.True(SchemaEvolution.IsWidening(Type(published), Type(declared)));
        Assert.False(SchemaEvolution.IsNarrowing(Type(published), Type(declared)));
    }

    [Theory]
    [InlineData("int64", "int32", true)]
    [InlineData("decimal(18,2)", "decimal(18,3)", true)] // one integer digit fewer
    [InlineData("decimal(18,2)", "decimal(20,1)", true)] // one fraction digit fewer
    [InlineData("decimal(18,2)", "decimal(17,2)", true)]
    [InlineData("date", "timestamp", false)]
    [InlineData("timestamp", "date", false)]
    [InlineData("int32", "decimal(18,2)", false)]
    [InlineData("int32", "string", false)]
    [InlineData("string", "int64", false)]
    public void Anything_else_is_not_a_widening(string published, string declared, bool narrowing)
    {
        Assert.False(SchemaEvolution.IsWidening(Type(published), Type(declared)));
        Assert.Equal(narrowing, SchemaEvolution.IsNarrowing(Type(published), Type(declared)));
    }
}

namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// Masks the credentials (userinfo) of a URL before it is printed: everything from after the scheme's <c>://</c> (or
/// from the start, when the text has no scheme) to the last <c>@</c> becomes <c>***</c>. The last <c>@</c>, since a
/// password may hold <c>@</c>, <c>/</c> or <c>:</c> unencoded; an <c>@</c> later in the path masks more than the
/// userinfo, never less. build/build.cake applies the same rule to the command lines it logs.
/// </summary>
public static class UserInfoMask
{
    public static string Mask(string text)
    {
        var at = text.LastIndexOf('@');
        if (at < 0) return text;
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        var start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
        return string.Concat(text.AsSpan(0, start), "***", text.AsSpan(at));
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Highwater.Parquet;

/// <summary>
/// Prefetch hints for loops that read memory in an order of their own (a sorted partition's rows and strings, users
/// looked up by id): the cache lines of a later element are requested while the current one is worked on. Only hints:
/// no effect where the processor has no prefetch instruction, and a stale address (the GC moved the object) only
/// wastes the hint.
/// </summary>
internal static class MemoryHints
{
    /// <summary>The start of a string's characters (short strings fit one cache line).</summary>
    public static unsafe void Prefetch(string? value)
    {
        if (value is null || !Sse.IsSupported) return;
        fixed (char* chars = value) Sse.Prefetch0(chars);
    }

    /// <summary>The cache lines of one element of a span of structs (up to 256 bytes).</summary>
    public static unsafe void Prefetch<T>(ref T element) where T : struct
    {
        if (!Sse.IsSupported) return;
        var at = (byte*)Unsafe.AsPointer(ref element);
        var size = Math.Min(Unsafe.SizeOf<T>(), 256);
        for (var offset = 0; offset < size; offset += 64) Sse.Prefetch0(at + offset);
    }

    /// <summary>One value of an array.</summary>
    public static unsafe void Prefetch<T>(T[] array, ulong index) where T : unmanaged
    {
        if (!Sse.IsSupported || index >= (ulong)array.Length) return;
        fixed (T* at = &array[index]) Sse.Prefetch0(at);
    }
}

using System.Buffers.Binary;

namespace Highwater.Parquet;

/// <summary>
/// A fast 64-bit hash of bytes for Highwater's own in-memory tables (the string pool, Transform's order-id table):
/// multiply and fold, eight bytes at a time, seeded once per process, because the values come from upstream systems
/// and a fixed hash could be flooded. Never stored: a value's hash differs from one process to the next.
/// </summary>
internal static class SeededHash
{
    private static readonly ulong Seed = (ulong)Random.Shared.NextInt64() | 1;

    public static ulong Of(ReadOnlySpan<byte> bytes)
    {
        var h = Seed ^ (ulong)bytes.Length * 0x9E3779B97F4A7C15UL;
        while (bytes.Length >= 8)
        {
            h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes)) * 0xFF51AFD7ED558CCDUL;
            h ^= h >> 32;
            bytes = bytes[8..];
        }
        ulong tail = 0;
        for (var i = 0; i < bytes.Length; i++) tail |= (ulong)bytes[i] << (8 * i);
        h = (h ^ tail) * 0xC4CEB9FE1A85EC53UL;
        return h ^ h >> 29;
    }
}

using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Highwater.Parquet.Encodings;
using Highwater.Parquet.Metadata;
using Highwater.Parquet.Thrift;

namespace Highwater.Parquet.Writing;

/// <summary> The pooled buffers of a writer. </summary>
public sealed partial class ParquetFileWriter
{
    /// <summary>
    /// The large buffers of one writer, reused by the next file instead of being allocated on the large-object heap
    /// for every file (a row group's column is up to a few MB).
    /// </summary>
    private sealed class PageBuffers
    {
        private static readonly System.Collections.Concurrent.ConcurrentBag<PageBuffers> Pool = [];

        public readonly ArrayBufferWriter<byte> Body = new(1 << 16);
        public readonly ArrayBufferWriter<byte> Levels = new(1 << 12);
        public readonly ArrayBufferWriter<byte> Header = new(256);
        public readonly ArrayBufferWriter<byte> Footer = new(4096);
        public readonly DistinctStrings Dictionary = new(4 * MaxDictionaryEntries);
        private long[] _longs = [];
        private int[] _ints = [];
        private bool[] _present = [];
        private byte[] _compressed = [];
        private string?[] _strings = [];
        public readonly List<string> Entries = [];
        public readonly FirstUseIds FirstUse = new();

        public static PageBuffers Rent() => Pool.TryTake(out var b) ? b : new PageBuffers();

        public static void Return(PageBuffers b)
        {
            b.Dictionary.Clear();
            Pool.Add(b);
        }

        public long[] Longs(int n) => _longs.Length >= n ? _longs : _longs = new long[n];
        public int[] Ints(int n) => _ints.Length >= n ? _ints : _ints = new int[n];
        public bool[] Present(int n) => _present.Length >= n ? _present : _present = new bool[n];
        public string?[] Strings(int n) => _strings.Length >= n ? _strings : _strings = new string?[n];
        public byte[] Compressed(int n) => _compressed.Length >= n ? _compressed : _compressed = new byte[n];
    }
}

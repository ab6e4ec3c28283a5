using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;

namespace Highwater.Pipeline.Transform;

/// <summary>
/// The packed user dimension (<see cref="UserDimension.PackedUsers"/>) saved in the work area, so a run whose user
/// dimension has not changed reads one flat file instead of decoding every user from Parquet (for a large dimension
/// the largest part of a one-day run). The file is keyed by a fingerprint of the dimension's
/// files (store, key, ETag and size of each): any change to them, a new file or a removed one, makes it stale, and a
/// stale, cut or unreadable cache is ignored and rewritten. Layout: <c>HWUSERS1</c>, the fingerprint (32 bytes),
/// min id (int64), user count (int32), code count (int32), each code (int32 UTF-8 length, -1 for null, then the
/// bytes), word count (int32), the words (little-endian 64-bit), and <c>HWUSERS1</c> again.
/// </summary>
internal static class UserDimensionCache
{
    private static ReadOnlySpan<byte> Magic => "HWUSERS1"u8;

    public static byte[] Fingerprint(string store, IReadOnlyList<StoredObject> files)
    {
        var text = new StringBuilder(store).Append('\n');
        foreach (var f in files.OrderBy(f => f.Key, StringComparer.Ordinal))
            text.Append(f.Key).Append('\t').Append(f.ETag).Append('\t').Append(f.Size).Append('\n');
        return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
    }

    public static UserDimension? TryRead(string path, byte[] fingerprint)
    {
        try
        {
            if (!File.Exists(path)) return null;
            var bytes = File.ReadAllBytes(path);
            var at = 0;
            ReadOnlySpan<byte> Take(int n)
            {
                if (n < 0 || at + n > bytes.Length) throw new InvalidDataException("cut short");
                var span = bytes.AsSpan(at, n);
                at += n;
                return span;
            }
            int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
            if (!Take(Magic.Length).SequenceEqual(Magic) || !Take(32).SequenceEqual(fingerprint)) return null;
            var min = BinaryPrimitives.ReadInt64LittleEndian(Take(8));
            var count = Int32();
            var codes = new string?[Int32()];
            for (var i = 0; i < codes.Length; i++)
            {
                var length = Int32();
                codes[i] = length < 0 ? null : Encoding.UTF8.GetString(Take(length));
            }
            var words = new ulong[Int32()];
            var raw = Take(words.Length * 8);
            for (var i = 0; i < words.Length; i++) words[i] = BinaryPrimitives.ReadUInt64LittleEndian(raw[(i * 8)..]);
            if (!Take(Magic.Length).SequenceEqual(Magic) || at != bytes.Length || codes.Length == 0 || codes[0] is not null) return null;
            return UserDimension.FromPacked(new UserDimension.PackedUsers(min, count, words, codes));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or OverflowException or OutOfMemoryException)
        {
            return null;
        }
    }

    public static void Write(string path, byte[] fingerprint, UserDimension.PackedUsers packed)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = path + ".partial";
            using (var s = WorkArea.CreateFile(temp, bufferSize: 1 << 16))
            {
                var number = new byte[8];
                void Int32(int v) { BinaryPrimitives.WriteInt32LittleEndian(number, v); s.Write(number, 0, 4); }
                s.Write(Magic);
                s.Write(fingerprint);
                BinaryPrimitives.WriteInt64LittleEndian(number, packed.Min);
                s.Write(number);
                Int32(packed.Count);
                Int32(packed.Codes.Length);
                foreach (var code in packed.Codes)
                {
                    if (code is null) { Int32(-1); continue; }
                    var utf8 = Encoding.UTF8.GetBytes(code);
                    Int32(utf8.Length);
                    s.Write(utf8);
                }
                Int32(packed.Words.Length);
                var words = new byte[packed.Words.Length * 8];
                for (var i = 0; i < packed.Words.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(words.AsSpan(i * 8), packed.Words[i]);
                s.Write(words);
                s.Write(Magic);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a slower next load.
        }
    }
}

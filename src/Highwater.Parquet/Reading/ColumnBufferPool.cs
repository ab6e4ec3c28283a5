using System.Collections.Concurrent;

namespace Highwater.Parquet.Reading;

/// <summary>
/// Column arrays of finished row groups, kept for the next row groups of the same length: only arrays of the longest
/// length asked for are kept (every row group of a file but its last has the writer's row-group size; a last one's
/// arrays are dropped, as no other row group would fit them). A gate pass would otherwise allocate a row group's worth of
/// arrays on the large-object heap for each row group; reusing them spares the collections (and large-object compactions) that allocation caused.
/// Thread-safe: the read-ahead workers rent, the evaluating thread returns. Arrays come back cleared where they held
/// references or nullable values; an array of plain values is returned as it was and must be overwritten in full.
/// </summary>
internal sealed class ColumnBufferPool
{
    /// <summary>Smaller arrays are not worth keeping.</summary>
    public const int MinPooledLength = 1024;

    private readonly ConcurrentDictionary<Type, ConcurrentBag<Array>> _free = new();
    private readonly Lock _lock = new();
    private int _length; // the pooled length: the longest asked for

    /// <summary>An array of exactly <paramref name="length"/> elements; its content is undefined for plain value types, default otherwise.</summary>
    public T[] Rent<T>(int length)
    {
        if (length < MinPooledLength) return new T[length];
        if (length > Volatile.Read(ref _length))
        {
            lock (_lock)
            {
                if (length > _length)
                {
                    _length = length;
                    _free.Clear(); // shorter arrays would never be asked for again
                }
            }
        }

        if (length == Volatile.Read(ref _length) && _free.TryGetValue(typeof(T), out var bag) && bag.TryTake(out var array) && array.Length == length)
            return (T[])array;
        return new T[length];
    }

    /// <summary>A cleared array (every element default).</summary>
    public T[] RentCleared<T>(int length)
    {
        var array = Rent<T>(length);
        if (!IsClearedOnReturn(typeof(T))) Array.Clear(array);
        return array;
    }

    public void Return(Array? array)
    {
        if (array is null || array.Length < MinPooledLength || array.Length != Volatile.Read(ref _length)) return;
        var type = array.GetType().GetElementType()!;
        if (IsClearedOnReturn(type)) Array.Clear(array);
        _free.GetOrAdd(type, static _ => []).Add(array);
    }

    /// <summary>References (so nothing is kept alive) and nullable values (a reader may write only the non-null ones).</summary>
    private static bool IsClearedOnReturn(Type element) => !element.IsValueType || Nullable.GetUnderlyingType(element) is not null;
}

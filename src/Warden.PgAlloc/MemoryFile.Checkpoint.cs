using System.Buffers.Binary;
using System.Numerics;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Platform;

namespace Warden.PgAlloc;

// The checkpoint format, version 1. Every integer is little-endian.
//
//   header   magic "WRDNMEMF" (8 bytes), u32 version (1), u32 flags (must be 0), u64 file size,
//            u64 segment count, u64 checksum of the 32 bytes before it
//   table    per segment of the reference-count map, in order: u64 start, u64 end, i32 refs,
//            u32 kind, u32 memory cgroup, u32 reserved (must be 0); then u64 checksum of the whole table
//   data     records of committed, non-zero pages in increasing order, each within one segment and
//            at most DataRecordMax bytes: u64 start, u64 length, the bytes, u64 checksum of the
//            16-byte head and the bytes; then an end record: u64 ulong.MaxValue, u64 0, u64
//            checksum of that head; nothing may follow it
//
// Loading trusts nothing it has not read: the table is read in chunks, so what is allocated for it
// grows with the bytes the stream has delivered, not with the count the header claims.
//
// Pages that are not in a data record read as zero after loading. The checksum (Checksum below)
// folds 8-byte words through a bijection, so any one changed word always changes it.
public sealed partial class MemoryFile
{
    private static ReadOnlySpan<byte> CheckpointMagic => "WRDNMEMF"u8;

    private const uint CheckpointVersion = 1;
    private const int HeaderSize = 40;
    private const int SegmentRecordSize = 32;
    private const int DataRecordMax = 1 << 20;
    private const int TableChunkRecords = 4096;

    /// <summary>Writes the allocation state and the committed, non-zero pages to <paramref name="stream"/>.</summary>
    /// <returns><c>null</c>, or why the state could not be read or written (nothing is undone in the stream).</returns>
    /// <remarks>
    /// The format (version 1) is documented at the top of <c>MemoryFile.Checkpoint.cs</c>. Holds the
    /// lock throughout, so the state written is a consistent one; the time taken is proportional to
    /// the committed size, not the file's size.
    /// </remarks>
    public unsafe Error? SaveTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        lock (_lock)
        {
            ThrowIfDestroyed();
            try
            {
                Span<byte> header = stackalloc byte[HeaderSize];
                CheckpointMagic.CopyTo(header);
                BinaryPrimitives.WriteUInt32LittleEndian(header[8..], CheckpointVersion);
                BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
                BinaryPrimitives.WriteUInt64LittleEndian(header[16..], _fileSize);
                BinaryPrimitives.WriteUInt64LittleEndian(header[24..], (ulong)_refs.Count);
                BinaryPrimitives.WriteUInt64LittleEndian(header[32..], Checksum(header[..32]));
                stream.Write(header);

                byte[] table = new byte[(_refs.Count * SegmentRecordSize) + 8];
                int at = 0;
                for (var seg = _refs.FirstSegment(); seg.IsValid; seg = seg.NextSegment(), at += SegmentRecordSize)
                {
                    Span<byte> rec = table.AsSpan(at, SegmentRecordSize);
                    BinaryPrimitives.WriteUInt64LittleEndian(rec, seg.Start);
                    BinaryPrimitives.WriteUInt64LittleEndian(rec[8..], seg.End);
                    BinaryPrimitives.WriteInt32LittleEndian(rec[16..], seg.Value.Refs);
                    BinaryPrimitives.WriteUInt32LittleEndian(rec[20..], (uint)seg.Value.Kind);
                    BinaryPrimitives.WriteUInt32LittleEndian(rec[24..], seg.Value.MemCgID);
                }
                BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(at), Checksum(table.AsSpan(0, at)));
                stream.Write(table);

                for (var seg = _refs.FirstSegment(); seg.IsValid; seg = seg.NextSegment())
                {
                    if (SaveSegmentLocked(stream, seg.Start, seg.End) is { } error)
                    {
                        return error;
                    }
                }
                Span<byte> end = stackalloc byte[24];
                BinaryPrimitives.WriteUInt64LittleEndian(end, ulong.MaxValue);
                BinaryPrimitives.WriteUInt64LittleEndian(end[8..], 0);
                BinaryPrimitives.WriteUInt64LittleEndian(end[16..], Checksum(end[..16]));
                stream.Write(end);
                return null;
            }
            catch (IOException e)
            {
                return new ExceptionError(e);
            }
        }
    }

    // Writes the data records of the committed, non-zero pages of [start, end). Caller holds _lock.
    private unsafe Error? SaveSegmentLocked(Stream stream, ulong start, ulong end)
    {
        Span<byte> head = stackalloc byte[16];
        Span<byte> sum = stackalloc byte[8];
        ulong pos = start;
        while (pos < end)
        {
            (long data, Errno? dataError) = Libc.Lseek(_fd, (long)pos, Libc.SEEK_DATA);
            if (dataError == Errno.ENXIO || (dataError is null && (ulong)data >= end))
            {
                return null;
            }
            if (dataError is not null)
            {
                return dataError;
            }
            (long hole, Errno? holeError) = Libc.Lseek(_fd, data, Libc.SEEK_HOLE);
            if (holeError is not null)
            {
                return holeError;
            }
            ulong extentStart = Arch.PageRoundDown((ulong)data);
            ulong extentEnd = Math.Min(Arch.PageRoundUp((ulong)hole).Rounded, end);
            // Runs of non-zero pages within the extent, cut at chunk and record-size bounds.
            ulong page = extentStart;
            while (page < extentEnd)
            {
                (nint chunk, Error? mapError) = ChunkLocked((int)(page >> _chunkShift));
                if (mapError is not null)
                {
                    return mapError;
                }
                byte* p = (byte*)chunk + (page & (_chunkSize - 1));
                if (new ReadOnlySpan<byte>(p, Arch.PageSize).IndexOfAnyExcept((byte)0) < 0)
                {
                    page += Arch.PageSize;
                    continue;
                }
                ulong runEnd = page + Arch.PageSize;
                ulong limit = Math.Min(Math.Min(extentEnd, page + DataRecordMax), (page | (_chunkSize - 1)) + 1);
                while (runEnd < limit && new ReadOnlySpan<byte>(p + (runEnd - page), Arch.PageSize).IndexOfAnyExcept((byte)0) >= 0)
                {
                    runEnd += Arch.PageSize;
                }
                var bytes = new ReadOnlySpan<byte>(p, (int)(runEnd - page));
                BinaryPrimitives.WriteUInt64LittleEndian(head, page);
                BinaryPrimitives.WriteUInt64LittleEndian(head[8..], runEnd - page);
                stream.Write(head);
                stream.Write(bytes);
                BinaryPrimitives.WriteUInt64LittleEndian(sum, Checksum(bytes, Checksum(head)));
                stream.Write(sum);
                page = runEnd;
            }
            pos = Math.Max(extentEnd, pos + Arch.PageSize);
        }
        return null;
    }

    /// <summary>Reads the state <see cref="SaveTo"/> wrote into this file, which must have nothing allocated.</summary>
    /// <returns>
    /// <c>null</c>, or why the stream was rejected (a <see cref="CheckpointError"/> for a bad magic or
    /// version, a truncated stream, a checksum mismatch or impossible records; or the stream's or
    /// the host's error). On any error the file is left as it was: nothing allocated, same size.
    /// </returns>
    /// <remarks>
    /// <para><b>Preconditions:</b> no page of this file is allocated (typically it is fresh).</para>
    /// <para><b>Postconditions:</b> on success, the allocations, kinds, reference counts and contents
    /// are those saved, and the size is at least the saved size. <see cref="Accounting"/> is brought
    /// up to date.</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">A page of the file is allocated.</exception>
    public Error? LoadFrom(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        lock (_lock)
        {
            ThrowIfDestroyed();
            if (!_refs.IsEmpty)
            {
                ThrowHelper.ThrowInvalidOperation("LoadFrom needs a MemoryFile with nothing allocated.");
            }
            ulong oldSize = _fileSize;
            Error? error;
            List<(FileRange Range, PageState State)>? segments = null;
            try
            {
                error = LoadLocked(stream, out segments);
            }
            catch (IOException e)
            {
                error = new ExceptionError(e);
            }
            if (error is not null)
            {
                // Back to nothing allocated: whatever was written is released, the size restored.
                if (_fileSize > 0)
                {
                    _ = Libc.Fallocate(_fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, 0, (long)_fileSize);
                }
                _ = Libc.Ftruncate(_fd, (long)oldSize);
                Volatile.Write(ref _fileSize, oldSize);
                return error;
            }
            foreach ((FileRange range, PageState state) in segments!)
            {
                _refs.Add(range, state);
            }
        }
        return UpdateUsage();
    }

    // Parses and checks the stream, writing page data into the memfd. Caller holds _lock; on an
    // error the caller truncates the file back to empty.
    private Error? LoadLocked(Stream stream, out List<(FileRange Range, PageState State)> segments)
    {
        segments = [];
        Span<byte> header = stackalloc byte[HeaderSize];
        if (!ReadFull(stream, header))
        {
            return Truncated("in the header");
        }
        if (!header[..8].SequenceEqual(CheckpointMagic))
        {
            return new CheckpointError(CheckpointProblem.BadMagic, "the stream is not a Warden memory file checkpoint");
        }
        if (BinaryPrimitives.ReadUInt64LittleEndian(header[32..]) != Checksum(header[..32]))
        {
            return Mismatch("of the header");
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version != CheckpointVersion)
        {
            return new CheckpointError(CheckpointProblem.UnsupportedVersion, $"version {version}, but only version {CheckpointVersion} is supported");
        }
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        ulong fileSize = BinaryPrimitives.ReadUInt64LittleEndian(header[16..]);
        ulong count = BinaryPrimitives.ReadUInt64LittleEndian(header[24..]);
        if (flags != 0)
        {
            return Malformed($"flags 0x{flags:x} are not defined in version {CheckpointVersion}");
        }
        if (fileSize > _maxSize || !Arch.IsPageAligned(fileSize) || count > fileSize / Arch.PageSize)
        {
            return Malformed($"file size 0x{fileSize:x} with {count} segments does not fit this file (maximum 0x{_maxSize:x})");
        }

        // The table, a chunk at a time, checked record by record and summed as it comes.
        byte[] chunk = new byte[(int)Math.Min(count, (ulong)TableChunkRecords) * SegmentRecordSize];
        ulong tableSum = ChecksumStart(count * SegmentRecordSize);
        ulong previousEnd = 0;
        for (ulong read = 0; read < count;)
        {
            int records = (int)Math.Min(count - read, (ulong)TableChunkRecords);
            Span<byte> bytes = chunk.AsSpan(0, records * SegmentRecordSize);
            if (!ReadFull(stream, bytes))
            {
                return Truncated("in the segment table");
            }
            tableSum = ChecksumWords(tableSum, bytes);
            for (int i = 0; i < records; i++)
            {
                ReadOnlySpan<byte> rec = bytes.Slice(i * SegmentRecordSize, SegmentRecordSize);
                ulong start = BinaryPrimitives.ReadUInt64LittleEndian(rec);
                ulong end = BinaryPrimitives.ReadUInt64LittleEndian(rec[8..]);
                int refs = BinaryPrimitives.ReadInt32LittleEndian(rec[16..]);
                uint kind = BinaryPrimitives.ReadUInt32LittleEndian(rec[20..]);
                uint memCg = BinaryPrimitives.ReadUInt32LittleEndian(rec[24..]);
                uint reserved = BinaryPrimitives.ReadUInt32LittleEndian(rec[28..]);
                if (start < previousEnd || start >= end || end > fileSize || !Arch.IsPageAligned(start) || !Arch.IsPageAligned(end)
                    || refs <= 0 || kind > (uint)MemoryKind.Mapped || reserved != 0)
                {
                    return Malformed($"segment {read + (ulong)i} [0x{start:x}, 0x{end:x}) refs {refs} kind {kind} reserved {reserved} is impossible");
                }
                segments.Add((new FileRange(start, end), new PageState(refs, (MemoryKind)kind, memCg)));
                previousEnd = end;
            }
            read += (ulong)records;
        }
        Span<byte> tableCheck = stackalloc byte[8];
        if (!ReadFull(stream, tableCheck))
        {
            return Truncated("in the segment table");
        }
        if (BinaryPrimitives.ReadUInt64LittleEndian(tableCheck) != tableSum)
        {
            return Mismatch("of the segment table");
        }

        if (fileSize > _fileSize)
        {
            if (Libc.Ftruncate(_fd, (long)fileSize) is { } growError)
            {
                return growError;
            }
            Volatile.Write(ref _fileSize, fileSize);
        }

        byte[] buffer = new byte[DataRecordMax];
        Span<byte> head = stackalloc byte[16];
        Span<byte> sum = stackalloc byte[8];
        int segment = 0;
        ulong dataEnd = 0;
        while (true)
        {
            if (!ReadFull(stream, head))
            {
                return Truncated("in a data record");
            }
            ulong start = BinaryPrimitives.ReadUInt64LittleEndian(head);
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(head[8..]);
            if (start == ulong.MaxValue && length == 0)
            {
                if (!ReadFull(stream, sum))
                {
                    return Truncated("in the end record");
                }
                if (BinaryPrimitives.ReadUInt64LittleEndian(sum) != Checksum(head))
                {
                    return Mismatch("of the end record");
                }
                return stream.Read(sum[..1]) == 0 ? null : Malformed("bytes follow the end record");
            }
            if (length == 0 || length > DataRecordMax || !Arch.IsPageAligned(start) || !Arch.IsPageAligned(length) || start < dataEnd)
            {
                return Malformed($"data record [0x{start:x}, +0x{length:x}) is out of order or ill-formed");
            }
            while (segment < segments.Count && segments[segment].Range.End <= start)
            {
                segment++;
            }
            if (segment == segments.Count || start < segments[segment].Range.Start || start + length > segments[segment].Range.End)
            {
                return Malformed($"data record [0x{start:x}, +0x{length:x}) lies outside every allocated segment");
            }
            Span<byte> bytes = buffer.AsSpan(0, (int)length);
            if (!ReadFull(stream, bytes) || !ReadFull(stream, sum))
            {
                return Truncated($"in the data record at 0x{start:x}");
            }
            if (BinaryPrimitives.ReadUInt64LittleEndian(sum) != Checksum(bytes, Checksum(head)))
            {
                return Mismatch($"of the data record at 0x{start:x}");
            }
            RandomAccess.Write(_fd, bytes, (long)start);
            dataEnd = start + length;
        }
    }

    private static bool ReadFull(Stream stream, Span<byte> buffer)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = stream.Read(buffer[done..]);
            if (n == 0)
            {
                return false;
            }
            done += n;
        }
        return true;
    }

    private static CheckpointError Truncated(string where) => new(CheckpointProblem.Truncated, "the stream ended " + where);

    private static CheckpointError Mismatch(string what) => new(CheckpointProblem.ChecksumMismatch, "bad checksum " + what);

    private static CheckpointError Malformed(string detail) => new(CheckpointProblem.Malformed, detail);

    // Folds bytes, 8 at a time (the tail zero-padded), into a 64-bit value. Each step maps the
    // running value through a bijection after mixing in one word, so changing any single word of
    // the input always changes the result.
    internal static ulong Checksum(ReadOnlySpan<byte> bytes, ulong seed = ChecksumSeed)
    {
        int whole = bytes.Length & ~7;
        ulong h = ChecksumWords(ChecksumStart((ulong)bytes.Length, seed), bytes[..whole]);
        if (whole < bytes.Length)
        {
            Span<byte> tail = stackalloc byte[8];
            tail.Clear();
            bytes[whole..].CopyTo(tail);
            h = ChecksumWords(h, tail);
        }
        return h;
    }

    private const ulong ChecksumSeed = 0x6a09e667f3bcc908;

    // Checksum in pieces, for input read a chunk at a time: start with the total length, then fold
    // the words (every piece but the last a multiple of 8 bytes long).
    private static ulong ChecksumStart(ulong totalLength, ulong seed = ChecksumSeed) => seed ^ totalLength;

    private static ulong ChecksumWords(ulong h, ReadOnlySpan<byte> words)
    {
        for (int i = 0; i + 8 <= words.Length; i += 8)
        {
            h = BitOperations.RotateLeft((h ^ BinaryPrimitives.ReadUInt64LittleEndian(words[i..])) * 0x9e3779b97f4a7c15, 31);
        }
        return h;
    }
}

using System.Runtime.InteropServices;

namespace Warden.Interop;

/// <summary>Linux's <c>struct iovec</c>: one buffer of a vectored read or write.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct Iovec
{
    /// <summary>Linux's <c>IOV_MAX</c>: the most buffers one vectored call accepts.</summary>
    public const int IovMax = 1024;

    /// <summary><c>iov_base</c>: the start of the buffer.</summary>
    public void* Base;

    /// <summary><c>iov_len</c>: the length of the buffer in bytes.</summary>
    public nuint Length;
}

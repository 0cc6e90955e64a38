using System.Diagnostics.CodeAnalysis;

namespace Warden.Errors;

/// <summary>A Linux error number, with its name and description.</summary>
/// <remarks>
/// Every errno Linux defines on x86-64 is a preallocated static instance, so returning one allocates
/// nothing. Numbers and names match <c>asm-generic/errno*.h</c>; a test checks them against the
/// system headers. <see cref="EWOULDBLOCK"/> and <see cref="EDEADLOCK"/> are aliases, as in Linux.
/// </remarks>
public sealed class Errno : Error
{
    /// <summary>The largest errno number Linux defines.</summary>
    public const int MaxNumber = 133;

    // Declared before the errno fields: static initializers run in textual order, and each errno
    // constructor registers itself here.
    private static readonly Errno?[] s_byNumber = new Errno?[MaxNumber + 1];

    private Errno(int number, string name, string description)
    {
        Number = number;
        Name = name;
        Description = description;
        s_byNumber[number] = this;
    }

    /// <summary>The positive errno number (as Linux returns it negated from a system call).</summary>
    public int Number { get; }

    /// <summary>The symbolic name, e.g. <c>EFAULT</c>.</summary>
    public string Name { get; }

    /// <summary>The C library's description, e.g. <c>Bad address</c>.</summary>
    public string Description { get; }

    /// <inheritdoc/>
    public override string Message => Name;

    /// <summary>Returns <c>NAME (number): description</c>.</summary>
    public override string ToString() => $"{Name} ({Number}): {Description}";

    /// <summary>Looks up the errno with <paramref name="number"/>.</summary>
    /// <returns><c>false</c> if Linux defines no errno with that number.</returns>
    public static bool TryFromNumber(int number, [NotNullWhen(true)] out Errno? errno)
    {
        errno = (uint)number < (uint)s_byNumber.Length ? s_byNumber[number] : null;
        return errno is not null;
    }

    /// <summary>Returns the errno with <paramref name="number"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Linux defines no errno with that number.</exception>
    public static Errno FromNumber(int number)
    {
        if (!TryFromNumber(number, out Errno? errno))
        {
            ThrowUnknown(number);
        }
        return errno;
    }

    [DoesNotReturn]
    private static void ThrowUnknown(int number) =>
        throw new ArgumentOutOfRangeException(nameof(number), number, "Linux defines no errno with this number.");

    /// <summary>Alias of <see cref="EAGAIN"/>.</summary>
    public static Errno EWOULDBLOCK => EAGAIN;

    /// <summary>Alias of <see cref="EDEADLK"/>.</summary>
    public static Errno EDEADLOCK => EDEADLK;

    /// <summary>Operation not permitted (1).</summary>
    public static readonly Errno EPERM = new(1, "EPERM", "Operation not permitted");

    /// <summary>No such file or directory (2).</summary>
    public static readonly Errno ENOENT = new(2, "ENOENT", "No such file or directory");

    /// <summary>No such process (3).</summary>
    public static readonly Errno ESRCH = new(3, "ESRCH", "No such process");

    /// <summary>Interrupted system call (4).</summary>
    public static readonly Errno EINTR = new(4, "EINTR", "Interrupted system call");

    /// <summary>Input/output error (5).</summary>
    public static readonly Errno EIO = new(5, "EIO", "Input/output error");

    /// <summary>No such device or address (6).</summary>
    public static readonly Errno ENXIO = new(6, "ENXIO", "No such device or address");

    /// <summary>Argument list too long (7).</summary>
    public static readonly Errno E2BIG = new(7, "E2BIG", "Argument list too long");

    /// <summary>Exec format error (8).</summary>
    public static readonly Errno ENOEXEC = new(8, "ENOEXEC", "Exec format error");

    /// <summary>Bad file descriptor (9).</summary>
    public static readonly Errno EBADF = new(9, "EBADF", "Bad file descriptor");

    /// <summary>No child processes (10).</summary>
    public static readonly Errno ECHILD = new(10, "ECHILD", "No child processes");

    /// <summary>Resource temporarily unavailable (11).</summary>
    public static readonly Errno EAGAIN = new(11, "EAGAIN", "Resource temporarily unavailable");

    /// <summary>Cannot allocate memory (12).</summary>
    public static readonly Errno ENOMEM = new(12, "ENOMEM", "Cannot allocate memory");

    /// <summary>Permission denied (13).</summary>
    public static readonly Errno EACCES = new(13, "EACCES", "Permission denied");

    /// <summary>Bad address (14).</summary>
    public static readonly Errno EFAULT = new(14, "EFAULT", "Bad address");

    /// <summary>Block device required (15).</summary>
    public static readonly Errno ENOTBLK = new(15, "ENOTBLK", "Block device required");

    /// <summary>Device or resource busy (16).</summary>
    public static readonly Errno EBUSY = new(16, "EBUSY", "Device or resource busy");

    /// <summary>File exists (17).</summary>
    public static readonly Errno EEXIST = new(17, "EEXIST", "File exists");

    /// <summary>Invalid cross-device link (18).</summary>
    public static readonly Errno EXDEV = new(18, "EXDEV", "Invalid cross-device link");

    /// <summary>No such device (19).</summary>
    public static readonly Errno ENODEV = new(19, "ENODEV", "No such device");

    /// <summary>Not a directory (20).</summary>
    public static readonly Errno ENOTDIR = new(20, "ENOTDIR", "Not a directory");

    /// <summary>Is a directory (21).</summary>
    public static readonly Errno EISDIR = new(21, "EISDIR", "Is a directory");

    /// <summary>Invalid argument (22).</summary>
    public static readonly Errno EINVAL = new(22, "EINVAL", "Invalid argument");

    /// <summary>Too many open files in system (23).</summary>
    public static readonly Errno ENFILE = new(23, "ENFILE", "Too many open files in system");

    /// <summary>Too many open files (24).</summary>
    public static readonly Errno EMFILE = new(24, "EMFILE", "Too many open files");

    /// <summary>Inappropriate ioctl for device (25).</summary>
    public static readonly Errno ENOTTY = new(25, "ENOTTY", "Inappropriate ioctl for device");

    /// <summary>Text file busy (26).</summary>
    public static readonly Errno ETXTBSY = new(26, "ETXTBSY", "Text file busy");

    /// <summary>File too large (27).</summary>
    public static readonly Errno EFBIG = new(27, "EFBIG", "File too large");

    /// <summary>No space left on device (28).</summary>
    public static readonly Errno ENOSPC = new(28, "ENOSPC", "No space left on device");

    /// <summary>Illegal seek (29).</summary>
    public static readonly Errno ESPIPE = new(29, "ESPIPE", "Illegal seek");

    /// <summary>Read-only file system (30).</summary>
    public static readonly Errno EROFS = new(30, "EROFS", "Read-only file system");

    /// <summary>Too many links (31).</summary>
    public static readonly Errno EMLINK = new(31, "EMLINK", "Too many links");

    /// <summary>Broken pipe (32).</summary>
    public static readonly Errno EPIPE = new(32, "EPIPE", "Broken pipe");

    /// <summary>Numerical argument out of domain (33).</summary>
    public static readonly Errno EDOM = new(33, "EDOM", "Numerical argument out of domain");

    /// <summary>Numerical result out of range (34).</summary>
    public static readonly Errno ERANGE = new(34, "ERANGE", "Numerical result out of range");

    /// <summary>Resource deadlock avoided (35).</summary>
    public static readonly Errno EDEADLK = new(35, "EDEADLK", "Resource deadlock avoided");

    /// <summary>File name too long (36).</summary>
    public static readonly Errno ENAMETOOLONG = new(36, "ENAMETOOLONG", "File name too long");

    /// <summary>No locks available (37).</summary>
    public static readonly Errno ENOLCK = new(37, "ENOLCK", "No locks available");

    /// <summary>Function not implemented (38).</summary>
    public static readonly Errno ENOSYS = new(38, "ENOSYS", "Function not implemented");

    /// <summary>Directory not empty (39).</summary>
    public static readonly Errno ENOTEMPTY = new(39, "ENOTEMPTY", "Directory not empty");

    /// <summary>Too many levels of symbolic links (40).</summary>
    public static readonly Errno ELOOP = new(40, "ELOOP", "Too many levels of symbolic links");

    /// <summary>No message of desired type (42).</summary>
    public static readonly Errno ENOMSG = new(42, "ENOMSG", "No message of desired type");

    /// <summary>Identifier removed (43).</summary>
    public static readonly Errno EIDRM = new(43, "EIDRM", "Identifier removed");

    /// <summary>Channel number out of range (44).</summary>
    public static readonly Errno ECHRNG = new(44, "ECHRNG", "Channel number out of range");

    /// <summary>Level 2 not synchronized (45).</summary>
    public static readonly Errno EL2NSYNC = new(45, "EL2NSYNC", "Level 2 not synchronized");

    /// <summary>Level 3 halted (46).</summary>
    public static readonly Errno EL3HLT = new(46, "EL3HLT", "Level 3 halted");

    /// <summary>Level 3 reset (47).</summary>
    public static readonly Errno EL3RST = new(47, "EL3RST", "Level 3 reset");

    /// <summary>Link number out of range (48).</summary>
    public static readonly Errno ELNRNG = new(48, "ELNRNG", "Link number out of range");

    /// <summary>Protocol driver not attached (49).</summary>
    public static readonly Errno EUNATCH = new(49, "EUNATCH", "Protocol driver not attached");

    /// <summary>No CSI structure available (50).</summary>
    public static readonly Errno ENOCSI = new(50, "ENOCSI", "No CSI structure available");

    /// <summary>Level 2 halted (51).</summary>
    public static readonly Errno EL2HLT = new(51, "EL2HLT", "Level 2 halted");

    /// <summary>Invalid exchange (52).</summary>
    public static readonly Errno EBADE = new(52, "EBADE", "Invalid exchange");

    /// <summary>Invalid request descriptor (53).</summary>
    public static readonly Errno EBADR = new(53, "EBADR", "Invalid request descriptor");

    /// <summary>Exchange full (54).</summary>
    public static readonly Errno EXFULL = new(54, "EXFULL", "Exchange full");

    /// <summary>No anode (55).</summary>
    public static readonly Errno ENOANO = new(55, "ENOANO", "No anode");

    /// <summary>Invalid request code (56).</summary>
    public static readonly Errno EBADRQC = new(56, "EBADRQC", "Invalid request code");

    /// <summary>Invalid slot (57).</summary>
    public static readonly Errno EBADSLT = new(57, "EBADSLT", "Invalid slot");

    /// <summary>Bad font file format (59).</summary>
    public static readonly Errno EBFONT = new(59, "EBFONT", "Bad font file format");

    /// <summary>Device not a stream (60).</summary>
    public static readonly Errno ENOSTR = new(60, "ENOSTR", "Device not a stream");

    /// <summary>No data available (61).</summary>
    public static readonly Errno ENODATA = new(61, "ENODATA", "No data available");

    /// <summary>Timer expired (62).</summary>
    public static readonly Errno ETIME = new(62, "ETIME", "Timer expired");

    /// <summary>Out of streams resources (63).</summary>
    public static readonly Errno ENOSR = new(63, "ENOSR", "Out of streams resources");

    /// <summary>Machine is not on the network (64).</summary>
    public static readonly Errno ENONET = new(64, "ENONET", "Machine is not on the network");

    /// <summary>Package not installed (65).</summary>
    public static readonly Errno ENOPKG = new(65, "ENOPKG", "Package not installed");

    /// <summary>Object is remote (66).</summary>
    public static readonly Errno EREMOTE = new(66, "EREMOTE", "Object is remote");

    /// <summary>Link has been severed (67).</summary>
    public static readonly Errno ENOLINK = new(67, "ENOLINK", "Link has been severed");

    /// <summary>Advertise error (68).</summary>
    public static readonly Errno EADV = new(68, "EADV", "Advertise error");

    /// <summary>Srmount error (69).</summary>
    public static readonly Errno ESRMNT = new(69, "ESRMNT", "Srmount error");

    /// <summary>Communication error on send (70).</summary>
    public static readonly Errno ECOMM = new(70, "ECOMM", "Communication error on send");

    /// <summary>Protocol error (71).</summary>
    public static readonly Errno EPROTO = new(71, "EPROTO", "Protocol error");

    /// <summary>Multihop attempted (72).</summary>
    public static readonly Errno EMULTIHOP = new(72, "EMULTIHOP", "Multihop attempted");

    /// <summary>RFS specific error (73).</summary>
    public static readonly Errno EDOTDOT = new(73, "EDOTDOT", "RFS specific error");

    /// <summary>Bad message (74).</summary>
    public static readonly Errno EBADMSG = new(74, "EBADMSG", "Bad message");

    /// <summary>Value too large for defined data type (75).</summary>
    public static readonly Errno EOVERFLOW = new(75, "EOVERFLOW", "Value too large for defined data type");

    /// <summary>Name not unique on network (76).</summary>
    public static readonly Errno ENOTUNIQ = new(76, "ENOTUNIQ", "Name not unique on network");

    /// <summary>File descriptor in bad state (77).</summary>
    public static readonly Errno EBADFD = new(77, "EBADFD", "File descriptor in bad state");

    /// <summary>Remote address changed (78).</summary>
    public static readonly Errno EREMCHG = new(78, "EREMCHG", "Remote address changed");

    /// <summary>Can not access a needed shared library (79).</summary>
    public static readonly Errno ELIBACC = new(79, "ELIBACC", "Can not access a needed shared library");

    /// <summary>Accessing a corrupted shared library (80).</summary>
    public static readonly Errno ELIBBAD = new(80, "ELIBBAD", "Accessing a corrupted shared library");

    /// <summary>.lib section in a.out corrupted (81).</summary>
    public static readonly Errno ELIBSCN = new(81, "ELIBSCN", ".lib section in a.out corrupted");

    /// <summary>Attempting to link in too many shared libraries (82).</summary>
    public static readonly Errno ELIBMAX = new(82, "ELIBMAX", "Attempting to link in too many shared libraries");

    /// <summary>Cannot exec a shared library directly (83).</summary>
    public static readonly Errno ELIBEXEC = new(83, "ELIBEXEC", "Cannot exec a shared library directly");

    /// <summary>Invalid or incomplete multibyte or wide character (84).</summary>
    public static readonly Errno EILSEQ = new(84, "EILSEQ", "Invalid or incomplete multibyte or wide character");

    /// <summary>Interrupted system call should be restarted (85).</summary>
    public static readonly Errno ERESTART = new(85, "ERESTART", "Interrupted system call should be restarted");

    /// <summary>Streams pipe error (86).</summary>
    public static readonly Errno ESTRPIPE = new(86, "ESTRPIPE", "Streams pipe error");

    /// <summary>Too many users (87).</summary>
    public static readonly Errno EUSERS = new(87, "EUSERS", "Too many users");

    /// <summary>Socket operation on non-socket (88).</summary>
    public static readonly Errno ENOTSOCK = new(88, "ENOTSOCK", "Socket operation on non-socket");

    /// <summary>Destination address required (89).</summary>
    public static readonly Errno EDESTADDRREQ = new(89, "EDESTADDRREQ", "Destination address required");

    /// <summary>Message too long (90).</summary>
    public static readonly Errno EMSGSIZE = new(90, "EMSGSIZE", "Message too long");

    /// <summary>Protocol wrong type for socket (91).</summary>
    public static readonly Errno EPROTOTYPE = new(91, "EPROTOTYPE", "Protocol wrong type for socket");

    /// <summary>Protocol not available (92).</summary>
    public static readonly Errno ENOPROTOOPT = new(92, "ENOPROTOOPT", "Protocol not available");

    /// <summary>Protocol not supported (93).</summary>
    public static readonly Errno EPROTONOSUPPORT = new(93, "EPROTONOSUPPORT", "Protocol not supported");

    /// <summary>Socket type not supported (94).</summary>
    public static readonly Errno ESOCKTNOSUPPORT = new(94, "ESOCKTNOSUPPORT", "Socket type not supported");

    /// <summary>Operation not supported (95).</summary>
    public static readonly Errno EOPNOTSUPP = new(95, "EOPNOTSUPP", "Operation not supported");

    /// <summary>Protocol family not supported (96).</summary>
    public static readonly Errno EPFNOSUPPORT = new(96, "EPFNOSUPPORT", "Protocol family not supported");

    /// <summary>Address family not supported by protocol (97).</summary>
    public static readonly Errno EAFNOSUPPORT = new(97, "EAFNOSUPPORT", "Address family not supported by protocol");

    /// <summary>Address already in use (98).</summary>
    public static readonly Errno EADDRINUSE = new(98, "EADDRINUSE", "Address already in use");

    /// <summary>Cannot assign requested address (99).</summary>
    public static readonly Errno EADDRNOTAVAIL = new(99, "EADDRNOTAVAIL", "Cannot assign requested address");

    /// <summary>Network is down (100).</summary>
    public static readonly Errno ENETDOWN = new(100, "ENETDOWN", "Network is down");

    /// <summary>Network is unreachable (101).</summary>
    public static readonly Errno ENETUNREACH = new(101, "ENETUNREACH", "Network is unreachable");

    /// <summary>Network dropped connection on reset (102).</summary>
    public static readonly Errno ENETRESET = new(102, "ENETRESET", "Network dropped connection on reset");

    /// <summary>Software caused connection abort (103).</summary>
    public static readonly Errno ECONNABORTED = new(103, "ECONNABORTED", "Software caused connection abort");

    /// <summary>Connection reset by peer (104).</summary>
    public static readonly Errno ECONNRESET = new(104, "ECONNRESET", "Connection reset by peer");

    /// <summary>No buffer space available (105).</summary>
    public static readonly Errno ENOBUFS = new(105, "ENOBUFS", "No buffer space available");

    /// <summary>Transport endpoint is already connected (106).</summary>
    public static readonly Errno EISCONN = new(106, "EISCONN", "Transport endpoint is already connected");

    /// <summary>Transport endpoint is not connected (107).</summary>
    public static readonly Errno ENOTCONN = new(107, "ENOTCONN", "Transport endpoint is not connected");

    /// <summary>Cannot send after transport endpoint shutdown (108).</summary>
    public static readonly Errno ESHUTDOWN = new(108, "ESHUTDOWN", "Cannot send after transport endpoint shutdown");

    /// <summary>Too many references: cannot splice (109).</summary>
    public static readonly Errno ETOOMANYREFS = new(109, "ETOOMANYREFS", "Too many references: cannot splice");

    /// <summary>Connection timed out (110).</summary>
    public static readonly Errno ETIMEDOUT = new(110, "ETIMEDOUT", "Connection timed out");

    /// <summary>Connection refused (111).</summary>
    public static readonly Errno ECONNREFUSED = new(111, "ECONNREFUSED", "Connection refused");

    /// <summary>Host is down (112).</summary>
    public static readonly Errno EHOSTDOWN = new(112, "EHOSTDOWN", "Host is down");

    /// <summary>No route to host (113).</summary>
    public static readonly Errno EHOSTUNREACH = new(113, "EHOSTUNREACH", "No route to host");

    /// <summary>Operation already in progress (114).</summary>
    public static readonly Errno EALREADY = new(114, "EALREADY", "Operation already in progress");

    /// <summary>Operation now in progress (115).</summary>
    public static readonly Errno EINPROGRESS = new(115, "EINPROGRESS", "Operation now in progress");

    /// <summary>Stale file handle (116).</summary>
    public static readonly Errno ESTALE = new(116, "ESTALE", "Stale file handle");

    /// <summary>Structure needs cleaning (117).</summary>
    public static readonly Errno EUCLEAN = new(117, "EUCLEAN", "Structure needs cleaning");

    /// <summary>Not a XENIX named type file (118).</summary>
    public static readonly Errno ENOTNAM = new(118, "ENOTNAM", "Not a XENIX named type file");

    /// <summary>No XENIX semaphores available (119).</summary>
    public static readonly Errno ENAVAIL = new(119, "ENAVAIL", "No XENIX semaphores available");

    /// <summary>Is a named type file (120).</summary>
    public static readonly Errno EISNAM = new(120, "EISNAM", "Is a named type file");

    /// <summary>Remote I/O error (121).</summary>
    public static readonly Errno EREMOTEIO = new(121, "EREMOTEIO", "Remote I/O error");

    /// <summary>Disk quota exceeded (122).</summary>
    public static readonly Errno EDQUOT = new(122, "EDQUOT", "Disk quota exceeded");

    /// <summary>No medium found (123).</summary>
    public static readonly Errno ENOMEDIUM = new(123, "ENOMEDIUM", "No medium found");

    /// <summary>Wrong medium type (124).</summary>
    public static readonly Errno EMEDIUMTYPE = new(124, "EMEDIUMTYPE", "Wrong medium type");

    /// <summary>Operation canceled (125).</summary>
    public static readonly Errno ECANCELED = new(125, "ECANCELED", "Operation canceled");

    /// <summary>Required key not available (126).</summary>
    public static readonly Errno ENOKEY = new(126, "ENOKEY", "Required key not available");

    /// <summary>Key has expired (127).</summary>
    public static readonly Errno EKEYEXPIRED = new(127, "EKEYEXPIRED", "Key has expired");

    /// <summary>Key has been revoked (128).</summary>
    public static readonly Errno EKEYREVOKED = new(128, "EKEYREVOKED", "Key has been revoked");

    /// <summary>Key was rejected by service (129).</summary>
    public static readonly Errno EKEYREJECTED = new(129, "EKEYREJECTED", "Key was rejected by service");

    /// <summary>Owner died (130).</summary>
    public static readonly Errno EOWNERDEAD = new(130, "EOWNERDEAD", "Owner died");

    /// <summary>State not recoverable (131).</summary>
    public static readonly Errno ENOTRECOVERABLE = new(131, "ENOTRECOVERABLE", "State not recoverable");

    /// <summary>Operation not possible due to RF-kill (132).</summary>
    public static readonly Errno ERFKILL = new(132, "ERFKILL", "Operation not possible due to RF-kill");

    /// <summary>Memory page has hardware error (133).</summary>
    public static readonly Errno EHWPOISON = new(133, "EHWPOISON", "Memory page has hardware error");
}

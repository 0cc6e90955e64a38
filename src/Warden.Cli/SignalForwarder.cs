using System.Runtime.InteropServices;

namespace Warden.Cli;

/// <summary>
/// Passes SIGINT, SIGTERM and SIGHUP sent to Warden on to the program (instead of letting the
/// runtime end Warden), and says when the first arrived so that Warden can stop waiting for a
/// program that ignores them.
/// </summary>
/// <remarks>Created once the program can receive signals; disposing it restores the runtime's handling.</remarks>
internal sealed class SignalForwarder : IDisposable
{
    private const int SIGHUP = 1;
    private const int SIGINT = 2;
    private const int SIGTERM = 15;

    private readonly Action<int> _forward;
    private readonly PosixSignalRegistration[] _registrations;
    private readonly Lock _lock = new();

    // Guarded by _lock: a handler may still be running when Warden disposes the forwarder.
    private readonly ManualResetEvent _received = new(initialState: false);
    private bool _disposed;
    private int _firstSignal;

    /// <summary>Starts forwarding to <paramref name="forward"/>, which is given Linux's signal number (it may be called on any thread).</summary>
    public SignalForwarder(Action<int> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        _forward = forward;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, Handle),
        ];
    }

    /// <summary>Set once a signal has been forwarded.</summary>
    public WaitHandle Received => _received;

    /// <summary>The first signal forwarded (Linux's number), or 0.</summary>
    public int FirstSignal => Volatile.Read(ref _firstSignal);

    /// <summary>Linux's number for <paramref name="signal"/>, one of those forwarded.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="signal"/> is not forwarded.</exception>
    public static int LinuxNumber(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGHUP => SIGHUP,
        PosixSignal.SIGINT => SIGINT,
        PosixSignal.SIGTERM => SIGTERM,
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "Only SIGHUP, SIGINT and SIGTERM are forwarded."),
    };

    private void Handle(PosixSignalContext context)
    {
        // The program decides what the signal does; Warden ends when it does.
        context.Cancel = true;
        int signal = LinuxNumber(context.Signal);
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            Interlocked.CompareExchange(ref _firstSignal, signal, 0);
            _forward(signal);
            _received.Set();
        }
    }

    /// <summary>Stops forwarding.</summary>
    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
        lock (_lock)
        {
            _disposed = true;
            _received.Dispose();
        }
    }
}

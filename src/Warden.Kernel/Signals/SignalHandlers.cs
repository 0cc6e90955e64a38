namespace Warden.Kernel.Signals;

/// <summary>
/// The actions of a process's signals (Linux's <c>sighand_struct</c>): shared by its threads and by
/// clone(CLONE_SIGHAND), copied by fork.
/// </summary>
internal sealed class SignalHandlers
{
    private readonly Lock _lock = new();
    private readonly SignalAction[] _actions = new SignalAction[Signal.Max + 1];

    public SignalAction Get(int signal)
    {
        lock (_lock)
        {
            return _actions[signal];
        }
    }

    /// <summary>Replaces the action of <paramref name="signal"/> and returns the old one.</summary>
    public SignalAction Swap(int signal, SignalAction action)
    {
        lock (_lock)
        {
            SignalAction old = _actions[signal];
            _actions[signal] = action;
            return old;
        }
    }

    /// <summary>Whether the signal would be ignored if it arrived now (explicitly, or by default).</summary>
    public bool IsIgnored(int signal)
    {
        SignalAction action = Get(signal);
        return action.Handler == SignalAction.Ignore || (action.Handler == SignalAction.Default && Signal.DefaultIgnores(signal));
    }

    /// <summary>
    /// What execve leaves (Linux's flush_signal_handlers): every caught signal back to its default
    /// action, ignored ones still ignored, and no flags, mask or restorer.
    /// </summary>
    public void ResetForExec()
    {
        lock (_lock)
        {
            for (int i = 0; i < _actions.Length; i++)
            {
                _actions[i] = new SignalAction { Handler = _actions[i].Handler == SignalAction.Ignore ? SignalAction.Ignore : SignalAction.Default };
            }
        }
    }

    public SignalHandlers Fork()
    {
        var copy = new SignalHandlers();
        lock (_lock)
        {
            _actions.CopyTo(copy._actions, 0);
        }
        return copy;
    }
}

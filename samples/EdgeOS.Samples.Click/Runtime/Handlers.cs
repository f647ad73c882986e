namespace EdgeOS.Samples.Click.Runtime;

/// <summary>Reads a handler's value.</summary>
internal delegate string HandlerRead();

/// <summary>Writes a handler; reports problems to <paramref name="errors"/> and returns false.</summary>
internal delegate bool HandlerWrite(string value, ElementErrors errors);

/// <summary>One read and/or write handler (click.o(8), "handlers").</summary>
internal sealed class Handler(string name, HandlerRead? read, HandlerWrite? write)
{
    public string Name { get; } = name;

    public HandlerRead? Read { get; } = read;

    public HandlerWrite? Write { get; } = write;

    /// <summary>Click's <c>handlers</c> listing flags: <c>r</c>, <c>w</c> or <c>rw</c>.</summary>
    public string Mode => (Read is null ? string.Empty : "r") + (Write is null ? string.Empty : "w");
}

/// <summary>The handlers of one element (or the router's global handlers), in registration order.</summary>
internal sealed class HandlerTable
{
    private readonly List<Handler> _handlers = [];

    public IReadOnlyList<Handler> All => _handlers;

    /// <summary>Adds or replaces a read handler.</summary>
    public void AddRead(string name, HandlerRead read) => Set(name, read, Find(name)?.Write);

    /// <summary>Adds or replaces a write handler.</summary>
    public void AddWrite(string name, HandlerWrite write) => Set(name, Find(name)?.Read, write);

    /// <summary>The handler called <paramref name="name"/>, or null.</summary>
    public Handler? Find(string name)
    {
        foreach (Handler h in _handlers)
        {
            if (h.Name == name)
            {
                return h;
            }
        }

        return null;
    }

    private void Set(string name, HandlerRead? read, HandlerWrite? write)
    {
        var h = new Handler(name, read, write);
        for (int i = 0; i < _handlers.Count; i++)
        {
            if (_handlers[i].Name == name)
            {
                _handlers[i] = h;
                return;
            }
        }

        _handlers.Add(h);
    }
}

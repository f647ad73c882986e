namespace EdgeOS.Samples.Click.Runtime;

/// <summary>Reads a handler's value.</summary>
internal delegate string HandlerRead();

/// <summary>
/// Reads a handler that takes a parameter (Click's read handlers with <c>Handler::f_read_param</c>, such as an
/// IPRouteTable's <c>lookup ADDR</c> or Script's <c>add 1 2</c>): returns the value, or reports the problem to
/// <paramref name="errors"/> and returns null. The parameter is empty when the caller gave none.
/// </summary>
internal delegate string? HandlerReadParam(string parameter, ElementErrors errors);

/// <summary>Writes a handler; reports problems to <paramref name="errors"/> and returns false.</summary>
internal delegate bool HandlerWrite(string value, ElementErrors errors);

/// <summary>One read and/or write handler (click.o(8), "handlers").</summary>
internal sealed class Handler
{
    public Handler(string name, HandlerRead? read, HandlerWrite? write)
    {
        Name = name;
        Read = read;
        Write = write;
    }

    public Handler(string name, HandlerReadParam readParam, HandlerWrite? write)
    {
        Name = name;
        ReadParam = readParam;
        Write = write;
    }

    public string Name { get; }

    /// <summary>The read function of a handler that takes no parameter, or null.</summary>
    public HandlerRead? Read { get; }

    /// <summary>The read function of a handler that takes a parameter, or null.</summary>
    public HandlerReadParam? ReadParam { get; }

    public HandlerWrite? Write { get; }

    /// <summary>Whether the handler can be read (with or without a parameter).</summary>
    public bool IsReadable => Read is not null || ReadParam is not null;

    /// <summary>Whether reading takes a parameter.</summary>
    public bool TakesParameter => ReadParam is not null;

    /// <summary>Click's <c>handlers</c> listing flags: <c>r</c>, <c>w</c> or <c>rw</c>.</summary>
    public string Mode => (IsReadable ? "r" : string.Empty) + (Write is null ? string.Empty : "w");

    /// <summary>
    /// Reads the handler as Click's <c>Handler::call_read</c> does: a parameter given to a handler that takes none is
    /// <c>read handler 'NAME' does not take parameters</c> (<paramref name="fullName"/> is the name in messages,
    /// <c>element.handler</c>); a handler that takes one gets the parameter, empty when none was given. Returns null
    /// after reporting to <paramref name="errors"/>.
    /// </summary>
    public string? CallRead(string parameter, ElementErrors errors, string fullName)
    {
        if (ReadParam is not null)
        {
            return ReadParam(parameter, errors);
        }

        if (Read is null)
        {
            errors.Error($"'{fullName}' not a read handler");
            return null;
        }

        if (parameter.Length > 0)
        {
            errors.Error($"read handler '{fullName}' does not take parameters");
            return null;
        }

        return Read();
    }
}

/// <summary>The handlers of one element (or the router's global handlers), in registration order.</summary>
internal sealed class HandlerTable
{
    private readonly List<Handler> _handlers = [];

    public IReadOnlyList<Handler> All => _handlers;

    /// <summary>Adds or replaces a read handler (one that takes no parameter).</summary>
    public void AddRead(string name, HandlerRead read) => Replace(new Handler(name, read, Find(name)?.Write));

    /// <summary>Adds or replaces a read handler that takes a parameter.</summary>
    public void AddReadParam(string name, HandlerReadParam read) => Replace(new Handler(name, read, Find(name)?.Write));

    /// <summary>Adds or replaces a write handler.</summary>
    public void AddWrite(string name, HandlerWrite write)
    {
        Handler? old = Find(name);
        Replace(old?.ReadParam is { } param ? new Handler(name, param, write) : new Handler(name, old?.Read, write));
    }

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

    private void Replace(Handler h)
    {
        for (int i = 0; i < _handlers.Count; i++)
        {
            if (_handlers[i].Name == h.Name)
            {
                _handlers[i] = h;
                return;
            }
        }

        _handlers.Add(h);
    }
}

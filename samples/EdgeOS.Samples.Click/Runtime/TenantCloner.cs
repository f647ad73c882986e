using EdgeOS.Samples.Click.Elements;

namespace EdgeOS.Samples.Click.Runtime;

/// <summary>
/// Makes one tenant's router from an initialized template router (<see cref="Router.CloneForTenant"/>): maps every
/// template element, task and timer to the tenant's own, so that an element's <see cref="Element.RebindForTenant"/>
/// can find the tenant's counterpart of what its template kept (its task, the queue it listens to).
/// </summary>
internal sealed class TenantCloner
{
    private readonly Dictionary<Element, Element> _elements = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<ClickTask, ClickTask> _tasks = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<ClickTimer, ClickTimer> _timers = new(ReferenceEqualityComparer.Instance);

    public TenantCloner(Router tenant) => Tenant = tenant;

    /// <summary>The tenant's router being built.</summary>
    public Router Tenant { get; }

    internal void Add(Element template, Element copy) => _elements.Add(template, copy);

    /// <summary>The tenant's copy of template element <paramref name="template"/>.</summary>
    public Element Map(Element template) => _elements[template];

    /// <summary>The tenant's copy of a notifier (a queue) the template element found upstream, or null.</summary>
    public IEmptyNotifier? Map(IEmptyNotifier? template) => template is null ? null : (IEmptyNotifier)_elements[(Element)template];

    /// <summary>
    /// The tenant's task for template task <paramref name="template"/> (one per template task, owned by the tenant's
    /// copy of the owner, on the tenant's driver, scheduled when the template's was), or null.
    /// </summary>
    public ClickTask? Map(ClickTask? template)
    {
        if (template is null)
        {
            return null;
        }

        if (!_tasks.TryGetValue(template, out ClickTask? task))
        {
            task = Tenant.Master.NewTask(Map(template.Owner));
            _tasks.Add(template, task);
            if (template.Scheduled)
            {
                task.Reschedule();
            }
        }

        return task;
    }

    /// <summary>The tenant's timer for template timer <paramref name="template"/> (same expiry when scheduled), or null.</summary>
    public ClickTimer? Map(ClickTimer? template)
    {
        if (template is null)
        {
            return null;
        }

        if (!_timers.TryGetValue(template, out ClickTimer? timer))
        {
            timer = Tenant.Master.NewTimer(Map(template.Owner));
            _timers.Add(template, timer);
            if (template.Scheduled)
            {
                timer.ScheduleAt(template.ExpiryNanoseconds);
            }
        }

        return timer;
    }

    /// <summary>A packet the template held (a queue's contents at initialization), copied into the tenant's pool.</summary>
    public Packet? Map(Packet? template)
    {
        if (template is null)
        {
            return null;
        }

        Packet p = Tenant.Pool.Make(template.Data, template.HeadroomBytes);
        p.CopyAnnotations(template);
        return p;
    }
}

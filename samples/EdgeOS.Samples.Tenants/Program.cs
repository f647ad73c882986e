// Many tenants in one process, on EdgeOS.Core alone: one template image, a copy-on-write view per
// tenant charged to the tenant's own account, reached only through a capability in the tenant's table.
// Usage: dotnet run -c Release --project samples/EdgeOS.Samples.Tenants -- [--tenants N] [--state-kib K]
using System.Diagnostics;
using EdgeOS.Core.Capabilities;
using EdgeOS.Core.Memory;

int tenants = 1000;
int stateKib = 64;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--tenants" when i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t is > 0 and <= 100_000:
            tenants = t;
            i++;
            break;
        case "--state-kib" when i + 1 < args.Length && int.TryParse(args[i + 1], out int k) && k is > 0 and <= 65_536:
            stateKib = k;
            i++;
            break;
        default:
            Console.Error.WriteLine($"error: unknown or invalid argument '{args[i]}' (expected --tenants 1..100000, --state-kib 1..65536)");
            return 2;
    }
}

// The template: start-up work done once (here, a filled table), then frozen into an image.
byte[] template = new byte[stateKib * 1024];
for (int i = 0; i < template.Length; i++)
{
    template[i] = (byte)(i * 31);
}

MemoryAccount host = new("host");
using CowImage image = CowImage.Create(template);
var views = new CowView[tenants];
var tables = new CapabilityTable[tenants];
var handles = new CapabilityHandle[tenants];
var accounts = new MemoryAccount[tenants];

Stopwatch sw = Stopwatch.StartNew();
for (int i = 0; i < tenants; i++)
{
    accounts[i] = new MemoryAccount($"tenant-{i}", quotaBytes: 256 * 1024, parent: host);
    views[i] = image.CreateView(accounts[i]);
    tables[i] = new CapabilityTable(slotsMax: 64, ownerName: $"tenant-{i}");
    handles[i] = tables[i].Grant(views[i], CapabilityRights.Read | CapabilityRights.Write);
}

double createNs = sw.Elapsed.TotalNanoseconds / tenants;

// Each tenant writes its id into its own state, through its capability.
for (int i = 0; i < tenants; i++)
{
    CowView view = tables[i].Resolve<CowView>(handles[i], CapabilityRights.Write);
    BitConverter.TryWriteBytes(view.GetWritableSpan(0, sizeof(int)), i);
}

// Isolation: every tenant sees only its own write; the image is unchanged.
int wrong = 0;
Span<byte> word = stackalloc byte[sizeof(int)];
for (int i = 0; i < tenants; i++)
{
    views[i].Read(0, word);
    wrong += BitConverter.ToInt32(word) == i ? 0 : 1;
}

using CowView fresh = image.CreateView();
fresh.Read(0, word);
bool imageIntact = word.SequenceEqual(template.AsSpan(0, sizeof(int)));

// Revoking one tenant's access cuts only that tenant.
tables[0].Delete(handles[0]);
bool revoked = tables[0].TryResolve<CowView>(handles[0], CapabilityRights.Read, out _) == CapabilityStatus.Stale;
bool othersFine = tables[1 % tenants].TryResolve<CowView>(handles[1 % tenants], CapabilityRights.Read, out _) == CapabilityStatus.Ok || tenants == 1;

Console.WriteLine($"tenants:            {tenants} (template {stateKib} KiB)");
Console.WriteLine($"create per tenant:  {createNs:F0} ns (account + copy-on-write view + capability table + grant; one cold pass, JIT included: see benchmarks/ for steady-state figures)");
Console.WriteLine($"private memory:     {host.UsedBytes / 1024} KiB for all tenants ({(double)host.UsedBytes / tenants / 1024:F1} KiB each after one write)");
Console.WriteLine($"isolation:          {(wrong == 0 && imageIntact ? "ok" : $"FAILED ({wrong} tenants saw foreign data, image intact: {imageIntact})")}");
Console.WriteLine($"revocation:         {(revoked && othersFine ? "ok" : "FAILED")}");

foreach (CowView view in views)
{
    view.Dispose();
}

Console.WriteLine($"after teardown:     {host.UsedBytes} bytes charged");
return wrong == 0 && imageIntact && revoked && othersFine && host.UsedBytes == 0 ? 0 : 1;

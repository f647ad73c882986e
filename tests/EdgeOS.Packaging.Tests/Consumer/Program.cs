// A project outside the repository that uses the packed EdgeOS.Core: a capability guarding a
// copy-on-write view of a template image, charged to a tenant's account. The packaging test adds
// ReadmeExample_Core.cs, ReadmeExample_Fwp.cs and ReadmeExample_Net.cs, the examples of README.md, which run first.
using EdgeOS.Core.Capabilities;
using EdgeOS.Core.Memory;

ReadmeExample_Core.Run();
ReadmeExample_Fwp.Run();
ReadmeExample_Net.Run();
Console.WriteLine("readme examples: ok");

byte[] template = new byte[64 * 1024];
template.AsSpan().Fill(7);
using CowImage image = CowImage.Create(template);
MemoryAccount tenant = new("tenant-1", quotaBytes: 1024 * 1024);
using CowView view = image.CreateView(tenant);
view.Write(100, [1, 2, 3]);

CapabilityTable table = new(slotsMax: 16, ownerName: "tenant-1");
CapabilityHandle handle = table.Grant(view, CapabilityRights.Read | CapabilityRights.Write);
byte[] read = new byte[3];
table.Resolve<CowView>(handle, CapabilityRights.Read).Read(100, read);
byte[] fromImage = new byte[3];
image.CreateView().Read(100, fromImage);
table.Delete(handle);

bool ok = read.AsSpan().SequenceEqual(new byte[] { 1, 2, 3 })
    && fromImage.AsSpan().SequenceEqual(new byte[] { 7, 7, 7 })
    && tenant.UsedBytes > 0
    && table.TryResolve<CowView>(handle, CapabilityRights.Read, out _) == CapabilityStatus.Stale;
Console.WriteLine(ok ? "consumer: ok" : "consumer: FAILED");
return ok ? 0 : 1;

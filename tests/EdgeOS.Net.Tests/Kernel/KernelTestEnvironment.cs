using Xunit;

namespace EdgeOS.Net.Tests.Kernel;

/// <summary>
/// The one place that decides whether a kernel test (netns, veth, BPF, AF_XDP, AF_PACKET) can run. Without root or
/// the kernel feature the test is skipped, unless EDGEOS_REQUIRE_KERNEL=1, in which case it fails with the reason.
/// </summary>
internal static class KernelTestEnvironment
{
    internal static bool KernelRequired => Environment.GetEnvironmentVariable("EDGEOS_REQUIRE_KERNEL") == "1";

    /// <summary>Skips (or fails under EDGEOS_REQUIRE_KERNEL=1) unless on Linux as root with the `ip` tool.</summary>
    internal static void RequireRootNetworking()
    {
        if (!OperatingSystem.IsLinux())
        {
            Unavailable("kernel networking tests need Linux");
        }

        if (!Environment.IsPrivilegedProcess)
        {
            Unavailable("kernel networking tests need root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF)");
        }

        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip") && !File.Exists("/bin/ip"))
        {
            Unavailable("the iproute2 `ip` tool is not installed");
        }
    }

    /// <summary>Skips (or fails under EDGEOS_REQUIRE_KERNEL=1) with <paramref name="reason"/>.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    internal static void Unavailable(string reason)
    {
        if (KernelRequired)
        {
            Assert.Fail("EDGEOS_REQUIRE_KERNEL=1 but: " + reason);
        }

        Assert.Skip(reason);
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Runs a kernel call that may fail because the kernel lacks a feature; turns that into a skip.</summary>
    internal static T RequireFeature<T>(string feature, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (PlatformNotSupportedException e)
        {
            Unavailable($"{feature}: {e.Message}");
            return default!;
        }
    }
}

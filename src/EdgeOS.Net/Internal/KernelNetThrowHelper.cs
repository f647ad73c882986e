using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;

namespace EdgeOS.Net.Internal;

/// <summary>Throw helpers of the kernel ports (AF_XDP, AF_PACKET, bpf), so that hot methods stay small.</summary>
internal static class KernelNetThrowHelper
{
    internal const string CapNetRaw = "CAP_NET_RAW";
    internal const string CapNetAdmin = "CAP_NET_ADMIN";
    internal const string CapBpfAndNetAdmin = "CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN)";

    /// <summary>Throws <see cref="PlatformNotSupportedException"/> unless running on Linux x86-64 or arm64.</summary>
    internal static void EnsureLinux(string feature)
    {
        if (!OperatingSystem.IsLinux() || Interop.Bpf.SyscallNumber < 0)
        {
            ThrowNotLinux(feature);
        }
    }

    [DoesNotReturn]
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void ThrowNotLinux(string feature) =>
        throw new PlatformNotSupportedException(string.Create(
            CultureInfo.InvariantCulture,
            $"{feature} needs Linux on x86-64 or arm64 (it uses Linux-only kernel interfaces); this is {RuntimeInformation.OSDescription} on {RuntimeInformation.ProcessArchitecture}. Use MemoryPort or PcapPort elsewhere."));

    /// <summary>Throws the exception that fits <paramref name="errno"/> from a failed kernel call.</summary>
    /// <param name="errno">The error number.</param>
    /// <param name="operation">What was attempted, e.g. <c>bind(AF_XDP) to eth0 queue 0</c>.</param>
    /// <param name="capability">The capability to name on EPERM/EACCES.</param>
    [DoesNotReturn]
    internal static void ThrowErrno(int errno, string operation, string capability) =>
        throw CreateErrnoException(errno, operation, capability);

    /// <summary>Creates the exception that fits <paramref name="errno"/> (see <see cref="ThrowErrno"/>).</summary>
    internal static Exception CreateErrnoException(int errno, string operation, string capability)
    {
        string reason = Marshal.GetPInvokeErrorMessage(errno);
        if (errno is Interop.Sock.Eperm or Interop.Sock.Eacces)
        {
            return new NetPrivilegeException(
                string.Create(CultureInfo.InvariantCulture, $"{operation} failed: {reason} (errno {errno}). The process needs {capability}; run as root or grant it (e.g. setcap or a container capability)."),
                capability);
        }

        if (errno == Interop.Sock.Eafnosupport)
        {
            return new PlatformNotSupportedException(string.Create(
                CultureInfo.InvariantCulture,
                $"{operation} failed: {reason} (errno {errno}). The running kernel lacks this address family."));
        }

        return new IOException(
            string.Create(CultureInfo.InvariantCulture, $"{operation} failed: {reason} (errno {errno})."),
            errno);
    }

    [DoesNotReturn]
    internal static void ThrowLastErrno(string operation, string capability) =>
        ThrowErrno(Marshal.GetLastPInvokeError(), operation, capability);

    [DoesNotReturn]
    internal static void ThrowInterfaceNotFound(string interfaceName) =>
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"No network interface named '{interfaceName}' exists in this network namespace."),
            nameof(interfaceName));

    [DoesNotReturn]
    internal static void ThrowBadKernelOffset(string ring, string field, ulong offset, ulong mappingBytes) =>
        throw new InvalidOperationException(string.Create(
            CultureInfo.InvariantCulture,
            $"The kernel reported {field} offset {offset} for the {ring} ring, outside its {mappingBytes}-byte mapping or misaligned; refusing to map it."));

    [DoesNotReturn]
    internal static void ThrowObjectDisposed(object instance) => throw new ObjectDisposedException(instance.GetType().FullName);
}

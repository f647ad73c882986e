using System.Globalization;
using System.Runtime.InteropServices;
using EdgeOS.Net.Internal;

namespace EdgeOS.Net;

/// <summary>
/// A wake-up that any thread can send to a port's receive wait: an eventfd(2) that
/// <c>WaitForReceive(timeout, wakeup)</c> of <see cref="PacketSocket.PacketSocketPort"/> and <see cref="Xdp.XdpPort"/>
/// polls next to the port's socket. A thread that sleeps waiting for frames can so also be woken for other work (frames
/// another thread queued for it to transmit, a stop request) without a short timeout.
/// </summary>
/// <remarks>
/// A <see cref="Signal"/> is never lost: the eventfd counts it until a wait consumes it, so a signal sent before the wait
/// starts ends that wait at once. Several signals before a wait are consumed together by one wait. Each
/// <see cref="Signal"/> is one write(2): callers that signal per item should signal only when the waiter said it is going
/// to sleep.
/// </remarks>
public sealed class ReceiveWakeup : IDisposable
{
    private readonly FileDescriptorHandle _fd;

    /// <summary>Creates the eventfd (non-blocking, close-on-exec).</summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux (eventfd(2) is Linux-only, as are the ports that poll it).</exception>
    /// <exception cref="IOException">The kernel refused the eventfd (for example, the process is out of descriptors).</exception>
    public ReceiveWakeup()
    {
        KernelNetThrowHelper.EnsureLinux("ReceiveWakeup");
        int fd = Interop.EventFd.Create(0, Interop.EventFd.NonBlock | Interop.EventFd.CloseOnExec);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException(string.Create(CultureInfo.InvariantCulture, $"eventfd failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})."), errno);
        }

        _fd = new FileDescriptorHandle(fd);
    }

    /// <summary>Wakes the current or the next receive wait on this wake-up (from any thread).</summary>
    /// <exception cref="ObjectDisposedException">The wake-up was disposed.</exception>
    public unsafe void Signal()
    {
        ObjectDisposedException.ThrowIf(_fd.IsClosed, this);
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            ulong one = 1;
            // EAGAIN only when the counter is at its maximum: the waiter will wake anyway.
            _ = Interop.EventFd.Write(_fd.Fd, &one, sizeof(ulong));
        }
        finally
        {
            if (added)
            {
                _fd.DangerousRelease();
            }
        }
    }

    /// <summary>Closes the eventfd.</summary>
    public void Dispose() => _fd.Dispose();

    /// <summary>
    /// poll(2) on <paramref name="socketFd"/> (POLLIN) and this eventfd; when the eventfd fired, its count is read
    /// (reset). Returns whether the socket is readable.
    /// </summary>
    internal unsafe bool PollWith(int socketFd, int timeoutMilliseconds)
    {
        ObjectDisposedException.ThrowIf(_fd.IsClosed, this);
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            Interop.Sock.PollFd* fds = stackalloc Interop.Sock.PollFd[2];
            fds[0] = new Interop.Sock.PollFd { Fd = socketFd, Events = Interop.Sock.PollIn };
            fds[1] = new Interop.Sock.PollFd { Fd = _fd.Fd, Events = Interop.Sock.PollIn };
            if (Interop.Sock.Poll(fds, 2, timeoutMilliseconds) <= 0)
            {
                return false; // timeout, or EINTR: the caller's loop waits again
            }

            if ((fds[1].Revents & Interop.Sock.PollIn) != 0)
            {
                ulong count;
                _ = Interop.EventFd.Read(_fd.Fd, &count, sizeof(ulong));
            }

            return (fds[0].Revents & Interop.Sock.PollIn) != 0;
        }
        finally
        {
            if (added)
            {
                _fd.DangerousRelease();
            }
        }
    }
}

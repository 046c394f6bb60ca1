package dev.iocp.wintests.netty;

import dev.iocp.core.testing.WindowsOnly;
import dev.iocp.netty.IocpDatagramChannelTest;

/** IocpDatagramChannel on a real completion port (its "win32" cases; io_uring's are skipped here). */
@WindowsOnly
class Win32IocpDatagramChannelTest extends IocpDatagramChannelTest {
}

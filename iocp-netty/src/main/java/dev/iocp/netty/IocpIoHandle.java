package dev.iocp.netty;

import io.netty.channel.IoHandle;

/**
 * What registers with an {@link IocpIoHandler}: something that owns a socket on the handler's backend and is told
 * of its ops' packets through {@link #handle handle(registration, IocpIoEvent)}.
 */
public interface IocpIoHandle extends IoHandle {
}

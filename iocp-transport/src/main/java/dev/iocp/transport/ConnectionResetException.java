package dev.iocp.transport;

import dev.iocp.core.win32.Win32Error;

import java.io.IOException;

/** The peer reset the connection (it sent RST: SO_LINGER 0, or it crashed, or it closed with data unread). */
public class ConnectionResetException extends IOException {
    private final int errorCode;

    public ConnectionResetException(String during, int errorCode) {
        super("connection reset by peer during " + during + ": " + Win32Error.describe(errorCode));
        this.errorCode = errorCode;
    }

    public int errorCode() {
        return errorCode;
    }
}

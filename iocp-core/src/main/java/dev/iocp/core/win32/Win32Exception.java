package dev.iocp.core.win32;

import java.io.IOException;

/** A Win32 or Winsock call failed; the message names the call and the error: {@code "WSARecv: WSAECONNRESET (10054)"}. */
public class Win32Exception extends IOException {
    private final int errorCode;

    public Win32Exception(String call, int errorCode) {
        super(call + ": " + Win32Error.describe(errorCode));
        this.errorCode = errorCode;
    }

    public int errorCode() {
        return errorCode;
    }

    public String errorName() {
        return Win32Error.name(errorCode);
    }
}

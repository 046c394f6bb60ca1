package dev.iocp.transport.testing;

import dev.iocp.transport.Protocol;
import dev.iocp.transport.Transport;

import java.nio.ByteBuffer;

/** Wraps any protocol with a {@link ProtocolContract}: the wrapped one sees the same calls, checked. */
public final class CheckedProtocol implements Protocol {
    private final Protocol inner;
    private final ProtocolContract contract;

    public CheckedProtocol(Protocol inner) {
        this.inner = inner;
        this.contract = new ProtocolContract(inner.toString());
    }

    @Override
    public void connectionMade(Transport transport) {
        contract.enter("connectionMade", transport, null);
        try {
            inner.connectionMade(transport);
        } finally {
            contract.exit();
        }
    }

    @Override
    public void dataReceived(ByteBuffer data) {
        contract.enter("dataReceived", null, data);
        try {
            inner.dataReceived(data);
        } finally {
            contract.exit();
        }
    }

    @Override
    public boolean eofReceived() {
        contract.enter("eofReceived", null, null);
        try {
            return inner.eofReceived();
        } finally {
            contract.exit();
        }
    }

    @Override
    public void connectionLost(Throwable cause) {
        contract.enter("connectionLost", null, null);
        try {
            inner.connectionLost(cause);
        } finally {
            contract.exit();
        }
    }

    @Override
    public void pauseWriting() {
        contract.enter("pauseWriting", null, null);
        try {
            inner.pauseWriting();
        } finally {
            contract.exit();
        }
    }

    @Override
    public void resumeWriting() {
        contract.enter("resumeWriting", null, null);
        try {
            inner.resumeWriting();
        } finally {
            contract.exit();
        }
    }
}

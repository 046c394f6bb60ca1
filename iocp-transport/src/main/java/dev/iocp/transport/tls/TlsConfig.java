package dev.iocp.transport.tls;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * How one side of a TLS connection is set up: the JDK's {@link SSLContext} (keys, trust, protocols on offer), which
 * side this is, and what the handshake asks for — SNI and host name verification (client), ALPN, client
 * authentication (server), the TLS versions, and a handshake deadline. Immutable; each {@code with…} returns a copy.
 *
 * <p>Give it to {@code Transports.startTls} (upgrade a connection mid-stream), or to {@code Transports.listen} /
 * {@code Transports.connect} for TLS from the first byte. Every connection gets its own {@link SSLEngine} from
 * {@link #newEngine(InetSocketAddress)}.
 */
public final class TlsConfig {
    /** What a server asks of the client's certificate. */
    public enum ClientAuth {
        /** No client certificate is requested. */
        NONE,
        /** Requested; the handshake goes on without one. */
        WANT,
        /** Required; the handshake fails without a valid one. */
        NEED
    }

    /** The handshake deadline by default: 60 s, asyncio's {@code ssl_handshake_timeout}. */
    public static final long DEFAULT_HANDSHAKE_TIMEOUT_MILLIS = 60_000;

    private final SSLContext context;
    private final boolean client;
    private final String serverName;
    private final boolean verifyHostname;
    private final List<String> applicationProtocols;
    private final ClientAuth clientAuth;
    private final List<String> protocols;
    private final long handshakeTimeoutMillis;

    private TlsConfig(SSLContext context, boolean client, String serverName, boolean verifyHostname,
                      List<String> applicationProtocols, ClientAuth clientAuth, List<String> protocols,
                      long handshakeTimeoutMillis) {
        this.context = Objects.requireNonNull(context, "context");
        this.client = client;
        this.serverName = serverName;
        this.verifyHostname = verifyHostname;
        this.applicationProtocols = List.copyOf(applicationProtocols);
        this.clientAuth = Objects.requireNonNull(clientAuth, "clientAuth");
        this.protocols = protocols == null ? null : List.copyOf(protocols);
        if (handshakeTimeoutMillis < 0) {
            throw new IllegalArgumentException("handshakeTimeoutMillis must be >= 0, got " + handshakeTimeoutMillis);
        }
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    /**
     * The client side: it sends the ClientHello.
     *
     * @param context keys (for client authentication, if the server asks) and trust
     * @return a client config with no SNI, no ALPN and the context's TLS versions
     */
    public static TlsConfig client(SSLContext context) {
        return new TlsConfig(context, true, null, false, List.of(), ClientAuth.NONE, null,
                DEFAULT_HANDSHAKE_TIMEOUT_MILLIS);
    }

    /**
     * The server side: it answers the ClientHello.
     *
     * @param context the server's keys (a key manager with its certificate) and, for client authentication, trust
     * @return a server config that asks for no client certificate
     */
    public static TlsConfig server(SSLContext context) {
        return new TlsConfig(context, false, null, false, List.of(), ClientAuth.NONE, null,
                DEFAULT_HANDSHAKE_TIMEOUT_MILLIS);
    }

    /**
     * Client: the name sent as SNI and, unless turned off with {@link #withHostnameVerification(boolean)}, checked
     * against the server's certificate (the "HTTPS" endpoint identification of RFC 2818).
     *
     * @param name a host name (an IP literal is not sent as SNI, RFC 6066, but is still verified)
     * @return a copy with the server name
     */
    public TlsConfig withServerName(String name) {
        requireClient("withServerName");
        return new TlsConfig(context, client, Objects.requireNonNull(name, "name"), true, applicationProtocols,
                clientAuth, protocols, handshakeTimeoutMillis);
    }

    /**
     * Client: whether the server name is checked against the certificate (on by default once a name is set).
     *
     * @param on verify or not
     * @return a copy
     */
    public TlsConfig withHostnameVerification(boolean on) {
        requireClient("withHostnameVerification");
        return new TlsConfig(context, client, serverName, on, applicationProtocols, clientAuth, protocols,
                handshakeTimeoutMillis);
    }

    /**
     * ALPN (RFC 7301): a client offers these, in preference order; a server picks the first of its own list that
     * the client offered (the JDK's rule). The outcome is {@link TlsTransport#applicationProtocol()}.
     *
     * @param names protocol names, e.g. "h2", "http/1.1"
     * @return a copy
     */
    public TlsConfig withApplicationProtocols(String... names) {
        return new TlsConfig(context, client, serverName, verifyHostname, List.of(names), clientAuth, protocols,
                handshakeTimeoutMillis);
    }

    /**
     * Server: whether to ask for the client's certificate.
     *
     * @param auth none, want or need
     * @return a copy
     */
    public TlsConfig withClientAuth(ClientAuth auth) {
        if (client) {
            throw new IllegalStateException("withClientAuth is a server setting");
        }
        return new TlsConfig(context, client, serverName, verifyHostname, applicationProtocols, auth, protocols,
                handshakeTimeoutMillis);
    }

    /**
     * The TLS versions this side accepts, e.g. {@code "TLSv1.3"} or {@code "TLSv1.2"}; default: the context's.
     *
     * @param versions the JDK's protocol names
     * @return a copy
     */
    public TlsConfig withProtocols(String... versions) {
        return new TlsConfig(context, client, serverName, verifyHostname, applicationProtocols, clientAuth,
                List.of(versions), handshakeTimeoutMillis);
    }

    /**
     * The handshake's deadline, from the moment TLS starts on the connection; when it passes the connection is
     * aborted with {@link TlsHandshakeTimeoutException}. 0: none.
     *
     * @param millis the deadline
     * @return a copy
     */
    public TlsConfig withHandshakeTimeoutMillis(long millis) {
        return new TlsConfig(context, client, serverName, verifyHostname, applicationProtocols, clientAuth, protocols,
                millis);
    }

    /** {@return whether this is the client side} */
    public boolean isClient() {
        return client;
    }

    /** {@return the handshake deadline in milliseconds (0: none)} */
    public long handshakeTimeoutMillis() {
        return handshakeTimeoutMillis;
    }

    /** {@return the context engines are made from} */
    public SSLContext context() {
        return context;
    }

    /**
     * A new engine for one connection, with this config's parameters.
     *
     * @param peer the peer's address (a session cache key for the client), or null
     * @return the engine, its handshake not begun
     */
    public SSLEngine newEngine(InetSocketAddress peer) {
        SSLEngine engine;
        if (client && serverName != null) {
            engine = context.createSSLEngine(serverName, peer == null ? -1 : peer.getPort());
        } else if (client && peer != null) {
            engine = context.createSSLEngine(peer.getHostString(), peer.getPort());
        } else {
            engine = context.createSSLEngine();
        }
        engine.setUseClientMode(client);
        SSLParameters p = engine.getSSLParameters();
        if (protocols != null) {
            p.setProtocols(protocols.toArray(String[]::new));
        }
        if (!applicationProtocols.isEmpty()) {
            p.setApplicationProtocols(applicationProtocols.toArray(String[]::new));
        }
        if (client && serverName != null) {
            if (!isIpLiteral(serverName)) {
                p.setServerNames(List.of(new SNIHostName(serverName)));
            }
            if (verifyHostname) {
                p.setEndpointIdentificationAlgorithm("HTTPS");
            }
        }
        if (!client) {
            switch (clientAuth) {
                case NEED -> p.setNeedClientAuth(true);
                case WANT -> p.setWantClientAuth(true);
                default -> p.setNeedClientAuth(false);
            }
        }
        engine.setSSLParameters(p);
        return engine;
    }

    private static boolean isIpLiteral(String name) {
        return name.indexOf(':') >= 0 || name.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    private void requireClient(String what) {
        if (!client) {
            throw new IllegalStateException(what + " is a client setting");
        }
    }

    @Override
    public String toString() {
        return "TlsConfig[" + (client ? "client" : "server") + (serverName != null ? " sni=" + serverName : "")
                + (applicationProtocols.isEmpty() ? "" : " alpn=" + applicationProtocols)
                + (clientAuth != ClientAuth.NONE ? " clientAuth=" + clientAuth : "")
                + (protocols != null ? " protocols=" + protocols : "") + " handshakeTimeout=" + handshakeTimeoutMillis
                + "ms]";
    }
}

/**
 * The asyncio-style transport: {@link dev.iocp.transport.Protocol} callbacks over a
 * {@link dev.iocp.transport.Transport}, listening with {@link dev.iocp.transport.Transports#listen} and connecting
 * with {@link dev.iocp.transport.Transports#connect}. The connection's state machines are package-private.
 */
module dev.iocp.transport {
    // Transports.listen/connect take the loop types and report the SPI's IoException: they are part of this API.
    requires transitive dev.iocp.core;

    exports dev.iocp.transport;
    // TLS over the transport (JDK SSLEngine): TlsConfig, TlsTransport, the typed causes, certificates.
    exports dev.iocp.transport.tls;
}

/**
 * TLS over the transport, with the JDK's {@code SSLEngine} and no other dependency.
 *
 * <p>Describe one side with a {@link dev.iocp.transport.tls.TlsConfig}
 * ({@link dev.iocp.transport.tls.TlsConfig#server server} or {@link dev.iocp.transport.tls.TlsConfig#client client},
 * over any JDK {@code SSLContext}), then give it to {@code Transports.listen} or {@code Transports.connect} for TLS
 * from the first byte, or to {@code Transports.startTls} to upgrade a connection mid-stream. The transport handed to
 * your protocol is a {@link dev.iocp.transport.tls.TlsTransport}. {@link dev.iocp.transport.tls.TlsContexts} makes
 * contexts from PEM files or keys in memory; {@link dev.iocp.transport.tls.SelfSignedCertificate} makes a
 * certificate for tests.
 *
 * <p>TLS is a layer, as in asyncio: the Protocol of the plain connection and the Transport of yours. So every
 * promise of {@code dev.iocp.transport} holds through it: pausing holds what arrived (encrypted) and cancels
 * nothing, writes are copied at call time, water marks count plaintext waiting and records not yet sent, callbacks
 * never nest, and {@code connectionLost} comes once, last. What TLS adds:
 * <ul>
 *   <li>{@code close()} sends close_notify after everything queued and waits for the peer's close_notify (or FIN)
 *       within the close deadline; past it, the connection is aborted.</li>
 *   <li>The peer's FIN without close_notify is a truncation, not an EOF:
 *       {@link dev.iocp.transport.tls.TlsTruncatedException}.</li>
 *   <li>A handshake past its deadline ends with {@link dev.iocp.transport.tls.TlsHandshakeTimeoutException}; a
 *       failed handshake or a bad record with the engine's {@code SSLException}.</li>
 *   <li>{@code startTls} loses and reorders nothing: writes made before it go out first, in plaintext, and bytes
 *       the peer sent right behind the upgrade request are TLS's.</li>
 * </ul>
 *
 * <p>The full text: {@code docs/tls.md}.
 */
package dev.iocp.transport.tls;

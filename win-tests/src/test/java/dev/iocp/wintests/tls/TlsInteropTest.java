package dev.iocp.wintests.tls;

import dev.iocp.core.backend.uring.IoUringBackend;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transport;
import dev.iocp.transport.TransportConfig;
import dev.iocp.transport.Transports;
import dev.iocp.transport.testing.ProtocolContract;
import dev.iocp.transport.testing.RecordingProtocol;
import dev.iocp.transport.testing.TlsTesting;
import dev.iocp.transport.tls.TlsTransport;
import dev.iocp.transport.tls.TlsTruncatedException;
import dev.iocp.wintests.RealSocketEnv;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.iocp.core.testing.LoopTesting.assertOpsDrained;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * TLS against peers not written in Java: Python's {@code ssl} module (OpenSSL underneath) as client of our server
 * and as server for our client, each with a clean close (close_notify both ways: Python's {@code unwrap()}) and a
 * truncated one (a TCP shutdown without close_notify: typed {@link TlsTruncatedException} on our side); and
 * {@code openssl s_client} where installed. Natively on Linux (io_uring): the peers are Linux processes.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "the peers are Linux processes (python3, openssl)")
class TlsInteropTest {
    private static final long T = 20_000;
    private static Path certPem;
    private static Path keyPem;

    private IocpEventLoopGroup group;
    private final List<Server> servers = new ArrayList<>();

    @BeforeAll
    static void requirePeers() throws Exception {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(), "io_uring unavailable");
        assumeTrue(runs("python3", "-c", "import ssl"), "python3 with ssl is not installed");
        certPem = Files.createTempFile("iocp-interop-cert", ".pem");
        keyPem = Files.createTempFile("iocp-interop-key", ".pem");
        Files.writeString(certPem, TlsTesting.certificate().certificatePem());
        Files.writeString(keyPem, TlsTesting.certificate().privateKeyPem());
    }

    private static boolean runs(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @BeforeEach
    void setUp() {
        ProtocolContract.clearViolations();
        group = new RealSocketEnv().newGroup(1);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Server s : servers) {
            s.close().await(T);
        }
        for (var e : group) {
            assertOpsDrained((IocpEventLoop) e);
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
        assertEquals(List.of(), ProtocolContract.violations(), "Protocol contract violations");
    }

    /** Runs a Python program; its stdout lines are returned; it must exit 0 within the bound. */
    private static List<String> python(String program, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("python3", "-c", program));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        }
        assertTrue(p.waitFor(T, TimeUnit.MILLISECONDS), "python did not finish: " + lines);
        assertEquals(0, p.exitValue(), "python failed: " + String.join("\n", lines));
        return lines;
    }

    private InetSocketAddress echoServer(RecordingProtocol app) throws Exception {
        app.echo = true;
        Server s = Transports.listen(group, new InetSocketAddress(dev.iocp.core.testing.LoopTesting.LOOPBACK_V4, 0),
                () -> app, TransportConfig.DEFAULT, 1, TlsTesting.server()).get(T, TimeUnit.MILLISECONDS);
        servers.add(s);
        return s.localAddress();
    }

    /** Python client: connect, send, read the echo, then close_notify (unwrap) or a bare TCP shutdown. */
    private static final String PY_CLIENT = String.join("\n",
            "import socket, ssl, sys",
            "port, cafile, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]",
            "ctx = ssl.create_default_context(cafile=cafile)",
            "raw = socket.create_connection(('127.0.0.1', port))",
            "s = ctx.wrap_socket(raw, server_hostname='localhost')",
            "data = bytes(range(256)) * 400",
            "s.sendall(data)",
            "got = b''",
            "while len(got) < len(data):",
            "    chunk = s.recv(65536)",
            "    if not chunk: break",
            "    got += chunk",
            "assert got == data, (len(got), len(data))",
            "print('echoed', len(got), s.version())",
            "if mode == 'clean':",
            "    s.unwrap()  # our close_notify, then the server's (its eofReceived closes it)",
            "    print('unwrapped')",
            "    raw.close()",
            "else:",
            "    socket.socket.shutdown(s, socket.SHUT_WR)  # the TCP socket's own: FIN without close_notify",
            "    print('fin sent')",
            "    try:",
            "        while socket.socket.recv(s, 65536): pass",
            "    except OSError: pass",
            "    s.close()");

    @Test
    void pythonClientEchoAndCloseNotify() throws Exception {
        RecordingProtocol app = new RecordingProtocol();
        InetSocketAddress a = echoServer(app);
        List<String> out = python(PY_CLIENT, Integer.toString(a.getPort()), certPem.toString(), "clean");
        assertTrue(out.get(0).startsWith("echoed 102400 TLSv1.3"), out.toString());
        assertEquals("unwrapped", out.get(1), "Python got our close_notify in answer to its own");
        assertNull(app.awaitLost(T));
        assertTrue(app.events().contains("eof"), "its close_notify is our EOF: " + app.events());
        assertTrue(((TlsTransport) app.transport()).closeNotifyReceived());
    }

    @Test
    void pythonClientTruncatedCloseIsTyped() throws Exception {
        RecordingProtocol app = new RecordingProtocol();
        InetSocketAddress a = echoServer(app);
        List<String> out = python(PY_CLIENT, Integer.toString(a.getPort()), certPem.toString(), "truncate");
        assertEquals("fin sent", out.get(1), out.toString());
        assertInstanceOf(TlsTruncatedException.class, app.awaitLost(T));
        assertFalse(app.events().contains("eof"), "a FIN without close_notify is not an EOF: " + app.events());
    }

    /** Python server: accept one, echo until the client's close_notify, then answer it (clean) or cut (truncate). */
    private static final String PY_SERVER = String.join("\n",
            "import socket, ssl, sys",
            "cert, key, mode = sys.argv[1], sys.argv[2], sys.argv[3]",
            "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)",
            "ctx.load_cert_chain(cert, key)",
            "ls = socket.socket(); ls.bind(('127.0.0.1', 0)); ls.listen(1)",
            "print(ls.getsockname()[1], flush=True)",
            "raw, _ = ls.accept()",
            "s = ctx.wrap_socket(raw, server_side=True)",
            "if mode == 'truncate':",
            "    s.sendall(b'x' * 1000)",
            "    socket.socket.shutdown(s, socket.SHUT_WR)  # FIN without close_notify",
            "    try:",
            "        while socket.socket.recv(s, 65536): pass",
            "    except OSError: pass",
            "    print('cut', flush=True)",
            "    sys.exit(0)",
            "total = 0",
            "while True:",
            "    d = s.recv(65536)",
            "    if not d: break  # the client's close_notify",
            "    total += len(d)",
            "    s.sendall(d)",
            "s.unwrap()  # our close_notify in answer",
            "raw.close()",
            "print('served', total, flush=True)");

    private record PyServer(Process process, BufferedReader out, int port) {
        String nextLine() throws Exception {
            String l = out.readLine();
            return l;
        }
    }

    private static PyServer pythonServer(String mode) throws Exception {
        Process p = new ProcessBuilder("python3", "-c", PY_SERVER, certPem.toString(), keyPem.toString(), mode)
                .redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String first = r.readLine();
        return new PyServer(p, r, Integer.parseInt(first.trim()));
    }

    @Test
    void ourClientToPythonServerEchoAndCloseNotify() throws Exception {
        PyServer py = pythonServer("clean");
        RecordingProtocol app = new RecordingProtocol();
        Transport t = Transports.connect((IocpEventLoop) group.next(),
                new InetSocketAddress(dev.iocp.core.testing.LoopTesting.LOOPBACK_V4, py.port()), app,
                TransportConfig.DEFAULT, TlsTesting.client()).get(T, TimeUnit.MILLISECONDS);
        byte[] data = new byte[300_000];
        new java.util.Random(1).nextBytes(data);
        t.write(data);
        app.awaitReceived(data.length, T);
        assertArrayEquals(data, app.received());
        t.close();
        assertNull(app.awaitLost(T));
        assertTrue(((TlsTransport) t).closeNotifyReceived(), "Python answered our close_notify with its own");
        assertEquals("served " + data.length, py.nextLine());
        assertTrue(py.process().waitFor(T, TimeUnit.MILLISECONDS));
        assertEquals(0, py.process().exitValue());
    }

    @Test
    void ourClientSeesAPythonServersTruncationTyped() throws Exception {
        PyServer py = pythonServer("truncate");
        RecordingProtocol app = new RecordingProtocol();
        Transports.connect((IocpEventLoop) group.next(),
                new InetSocketAddress(dev.iocp.core.testing.LoopTesting.LOOPBACK_V4, py.port()), app,
                TransportConfig.DEFAULT, TlsTesting.client()).get(T, TimeUnit.MILLISECONDS);
        app.awaitReceived(1000, T);
        assertInstanceOf(TlsTruncatedException.class, app.awaitLost(T));
        assertFalse(app.events().contains("eof"));
        assertEquals("cut", py.nextLine());
        assertTrue(py.process().waitFor(T, TimeUnit.MILLISECONDS));
    }

    /** openssl s_client (where installed): a line echoed, then its close_notify at stdin's EOF. */
    @Test
    void opensslClientEchoAndCloseNotify() throws Exception {
        assumeTrue(runs("openssl", "version"), "openssl is not installed");
        RecordingProtocol app = new RecordingProtocol();
        InetSocketAddress a = echoServer(app);
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + a.getPort(),
                "-servername", "localhost", "-CAfile", certPem.toString(), "-verify_return_error", "-quiet",
                "-no_ign_eof").redirectErrorStream(true).start();
        p.getOutputStream().write("hello through openssl\n".getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().flush();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = r.readLine()) != null) { // s_client prints its verification, then what it received
            out.append(line).append('\n');
            if (line.contains("hello through openssl")) {
                break;
            }
        }
        assertTrue(out.toString().contains("hello through openssl"), "the echo: " + out);
        p.getOutputStream().close(); // stdin's EOF: s_client sends close_notify and ends
        while ((line = r.readLine()) != null) {
            out.append(line).append('\n');
        }
        assertTrue(p.waitFor(T, TimeUnit.MILLISECONDS));
        assertNull(app.awaitLost(T));
        assertTrue(((TlsTransport) app.transport()).closeNotifyReceived(), "s_client ended with close_notify: " + out);
    }
}

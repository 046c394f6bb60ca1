package dev.iocp.bench.http;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parse of wrk 4.1's report, on reports as wrk printed them here (then the shell's {@code times}). */
class WrkTest {
    private static final String CLEAN = """
            Running 2s test @ http://127.0.0.1:18080/plaintext
              1 threads and 100 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency     1.10ms    2.08ms  41.96ms   97.52%
                Req/Sec    95.03k     9.81k  104.48k    85.00%
              Latency Distribution
                 50%  847.00us
                 75%    1.01ms
                 90%    1.26ms
                 99%    8.75ms
              189105 requests in 2.00s, 20.74MB read
            Requests/sec:  94461.88
            Transfer/sec:     10.36MB
            0m0.003s 0m0.001s
            0m0.412s 1m1.500s
            """;

    @Test
    void aCleanRunGivesItsCountsLatenciesAndTheGeneratorsCpu() throws IOException {
        Wrk.Result r = Wrk.parse(CLEAN);
        assertEquals(189105, r.requests());
        assertEquals(2.0, r.seconds(), 1e-9);
        assertEquals(94461.88, r.requestsPerSecond(), 1e-6);
        assertEquals(847.0, r.p50Micros(), 1e-9);
        assertEquals(8750.0, r.p99Micros(), 1e-9);
        assertEquals(0, r.non2xx());
        assertEquals(0, r.socketErrors());
        assertEquals(61_912_000_000L, r.generatorCpuNanos(), "the children's line of times: 0.412 s + 61.5 s");
        assertTrue(r.clean());
    }

    @Test
    void non2xxResponsesAndSocketErrorsMakeARunUnclean() throws IOException {
        String out = CLEAN.replace("Requests/sec:", """
                  Socket errors: connect 0, read 3, write 0, timeout 2
                  Non-2xx or 3xx responses: 17
                Requests/sec:""");
        Wrk.Result r = Wrk.parse(out);
        assertEquals(17, r.non2xx());
        assertEquals(5, r.socketErrors());
        assertFalse(r.clean());
    }

    @Test
    void aReportWithoutARequestCountIsRefused() {
        IOException e = assertThrows(IOException.class, () -> Wrk.parse("unable to connect to 127.0.0.1:1 Connection refused\n"));
        assertTrue(e.getMessage().contains("Connection refused"), e.getMessage());
    }
}

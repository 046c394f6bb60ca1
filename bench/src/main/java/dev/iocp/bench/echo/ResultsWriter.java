package dev.iocp.bench.echo;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** results.json / results.csv, written by hand (no JSON library in the CLI jar). NaN is written as null / empty. */
final class ResultsWriter {
    private ResultsWriter() {}

    static Map<String, Object> rowMap(BenchCommand.Row row) {
        LoadGenerator.Result r = row.result();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("server", row.server());
        m.put("scenario", row.scenario().id());
        m.put("mode", row.scenario().mode().name().toLowerCase(Locale.ROOT));
        m.put("connections", row.scenario().connections());
        m.put("message_bytes", row.scenario().messageSize());
        m.put("messages", r.messages);
        m.put("bytes", r.bytes);
        m.put("duration_s", r.durationNanos / 1e9);
        m.put("msgs_per_s", r.messagesPerSecond());
        m.put("mb_per_s", r.megabytesPerSecond());
        m.put("p50_us", r.latencyMicros(50));
        m.put("p99_us", r.latencyMicros(99));
        m.put("p999_us", r.latencyMicros(99.9));
        m.put("max_us", r.latencyNanos == null || r.latencyNanos.getTotalCount() == 0 ? Double.NaN : r.latencyNanos.getMaxValue() / 1e3);
        m.put("server_cpu_ms", r.serverCpuNanos / 1e6);
        m.put("server_cpu_us_per_msg", r.serverCpuMicrosPerMessage());
        m.put("server_cpu_util", r.durationNanos == 0 ? Double.NaN : (double) r.serverCpuNanos / r.durationNanos);
        m.put("server_alloc_bytes_per_msg", r.serverAllocatedBytesPerMessage());
        m.put("client_cpu_us_per_msg", r.clientCpuMicrosPerMessage());
        m.put("client_cpu_util", r.durationNanos == 0 ? Double.NaN : (double) r.clientCpuNanos / r.durationNanos);
        m.put("reps", row.reps().size());
        m.put("msgs_per_s_min", row.minRate());
        m.put("msgs_per_s_max", row.maxRate());
        List<Object> all = new ArrayList<>();
        for (LoadGenerator.Result rep : row.reps()) all.add(rep.messagesPerSecond());
        m.put("msgs_per_s_reps", all);
        m.put("server_cpu_us_per_msg_median", row.medianCpuPerMsg());
        List<Object> cpu = new ArrayList<>(), other = new ArrayList<>();
        for (LoadGenerator.Result rep : row.reps()) {
            cpu.add(rep.serverCpuMicrosPerMessage());
            other.add(rep.durationNanos > 0 && rep.foreignCpuNanos >= 0 ? (double) rep.foreignCpuNanos / rep.durationNanos : Double.NaN);
        }
        m.put("server_cpu_us_per_msg_reps", cpu);
        m.put("other_cpu_util_reps", other);
        m.put("verified", r.verified());
        m.put("verify_errors", r.verifyErrors);
        m.put("io_errors", r.ioErrors);
        m.put("first_error", r.firstError);
        return m;
    }

    static String json(Map<String, String> machine, Map<String, Object> config, String ratiosFor,
                       List<BenchCommand.Row> rows, List<Map<String, Object>> ratios) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("machine", machine);
        root.put("config", config);
        root.put("ratios_for", ratiosFor);
        root.put("ratios_for_is_iocp", Servers.IOCP.equals(ratiosFor));
        List<Object> list = new ArrayList<>();
        for (BenchCommand.Row row : rows) list.add(rowMap(row));
        root.put("results", list);
        root.put("ratios", ratios);
        StringBuilder sb = new StringBuilder();
        write(sb, root, "");
        return sb.append('\n').toString();
    }

    private static void write(StringBuilder sb, Object v, String indent) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            quote(sb, s);
        } else if (v instanceof Double d) {
            sb.append(d.isNaN() || d.isInfinite() ? "null" : num(d));
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Map<?, ?> m) {
            String in = indent + "  ";
            sb.append("{\n");
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(in);
                quote(sb, String.valueOf(e.getKey()));
                sb.append(": ");
                write(sb, e.getValue(), in);
                sb.append(++i < m.size() ? ",\n" : "\n");
            }
            sb.append(indent).append('}');
        } else if (v instanceof Collection<?> c) {
            String in = indent + "  ";
            sb.append("[\n");
            int i = 0;
            for (Object o : c) {
                sb.append(in);
                write(sb, o, in);
                sb.append(++i < c.size() ? ",\n" : "\n");
            }
            sb.append(indent).append(']');
        } else {
            quote(sb, v.toString());
        }
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    /** Six significant digits, plain notation. */
    static String num(double d) {
        if (d == 0) return "0";
        return new BigDecimal(d).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }

    static String csv(List<BenchCommand.Row> rows) {
        StringBuilder sb = new StringBuilder();
        boolean header = true;
        for (BenchCommand.Row row : rows) {
            Map<String, Object> m = rowMap(row);
            if (header) {
                sb.append(String.join(",", m.keySet())).append('\n');
                header = false;
            }
            int i = 0;
            for (Object v : m.values()) {
                if (i++ > 0) sb.append(',');
                if (v == null) continue;
                if (v instanceof Double d) {
                    if (!d.isNaN() && !d.isInfinite()) sb.append(num(d));
                } else {
                    String s = v.toString();
                    if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
                        sb.append('"').append(s.replace("\"", "\"\"")).append('"');
                    } else {
                        sb.append(s);
                    }
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}

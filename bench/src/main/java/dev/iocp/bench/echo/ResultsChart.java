package dev.iocp.bench.echo;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * results.png: grouped bars, one panel per scenario (each with its own y axis, because 16 B ping-pong and 16 KiB
 * streaming differ by orders of magnitude), one bar per server, value printed on the bar. Top row: throughput
 * (msgs/s, higher is better); bottom row: server CPU µs per echoed message (lower is better). Java2D, headless.
 */
final class ResultsChart {
    private static final int W = 1600, H = 960;
    private static final Color[] PALETTE = {
        new Color(0x3A7CA5), new Color(0x6BAA75), new Color(0x9C6ADE), new Color(0x8D8D8D), new Color(0xC9A227)};
    private static final Color IOCP_COLOR = new Color(0xE4572E);

    private ResultsChart() {}

    static void write(Path file, List<BenchCommand.Row> rows, List<String> servers, List<Scenario> scenarios,
                      String subtitle) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, W, H);

            g.setColor(new Color(0x222222));
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 26));
            String title = "Echo server benchmark: " + String.join(" vs ", servers);
            if (g.getFontMetrics().stringWidth(title) > W - 80 - legendWidth(g, servers) - 30) title = "Echo server benchmark";
            g.drawString(title, 40, 44);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
            g.setColor(new Color(0x555555));
            g.drawString(subtitle, 40, 70);

            Color[] colors = new Color[servers.size()];
            for (int i = 0, p = 0; i < servers.size(); i++) {
                colors[i] = Servers.IOCP.equals(servers.get(i)) ? IOCP_COLOR : PALETTE[p++ % PALETTE.length];
            }
            drawLegend(g, servers, colors, W - 40, 40);

            int top = 100, rowH = (H - top - 20) / 2;
            drawRow(g, rows, servers, scenarios, colors, top, rowH,
                    "Throughput: echoed messages per second (higher is better; whisker = min-max over repetitions)", "msgs/s",
                    r -> r.messagesPerSecond(), false);
            drawRow(g, rows, servers, scenarios, colors, top + rowH, rowH,
                    "Server CPU time per echoed message (lower is better; bar = median, whisker = min-max over repetitions)", "server CPU µs / msg",
                    r -> r.serverCpuMicrosPerMessage(), true);
        } finally {
            g.dispose();
        }
        ImageIO.write(img, "png", file.toFile());
    }

    private static int legendWidth(Graphics2D g, List<String> servers) {
        FontMetrics fm = g.getFontMetrics(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
        int w = 0;
        for (String s : servers) w += 18 + 6 + fm.stringWidth(s) + 22;
        return w;
    }

    private static void drawLegend(Graphics2D g, List<String> servers, Color[] colors, int right, int y) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
        FontMetrics fm = g.getFontMetrics();
        int x = right;
        for (int i = servers.size() - 1; i >= 0; i--) {
            int w = 18 + 6 + fm.stringWidth(servers.get(i));
            x -= w;
            g.setColor(colors[i]);
            g.fillRect(x, y - 14, 18, 18);
            g.setColor(new Color(0x222222));
            g.drawString(servers.get(i), x + 24, y);
            x -= 24;
        }
    }

    private static void drawRow(Graphics2D g, List<BenchCommand.Row> rows, List<String> servers, List<Scenario> scenarios,
                                Color[] colors, int top, int height, String title, String yLabel,
                                ToDoubleFunction<LoadGenerator.Result> metric, boolean decimals) {
        g.setColor(new Color(0x222222));
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        g.drawString(title, 40, top + 22);

        int left = 40, panelGap = 18;
        int n = Math.max(1, scenarios.size());
        int panelW = (W - left - 30 - (n - 1) * panelGap) / n;
        for (int p = 0; p < scenarios.size(); p++) {
            Scenario sc = scenarios.get(p);
            int px = left + p * (panelW + panelGap);
            drawPanel(g, rows, servers, sc, colors, px, top + 36, panelW, height - 50, yLabel, metric, decimals);
        }
    }

    private static void drawPanel(Graphics2D g, List<BenchCommand.Row> rows, List<String> servers, Scenario sc,
                                  Color[] colors, int x, int y, int w, int h, String yLabel,
                                  ToDoubleFunction<LoadGenerator.Result> metric, boolean decimals) {
        int axisLeft = x + 64, axisBottom = y + h - 44, axisTop = y + 10, axisRight = x + w - 6;
        boolean throughput = !decimals;
        double[] vals = new double[servers.size()], lo = new double[servers.size()], hi = new double[servers.size()];
        double[] mbps = new double[servers.size()];
        boolean[] failed = new boolean[servers.size()];
        double max = 0;
        for (int i = 0; i < servers.size(); i++) {
            vals[i] = Double.NaN;
            for (BenchCommand.Row r : rows) {
                if (r.server().equals(servers.get(i)) && r.scenario().equals(sc)) {
                    LoadGenerator.Result res = r.result();
                    failed[i] = !res.verified() || res.ioErrors > 0;
                    vals[i] = failed[i] ? Double.NaN : throughput ? metric.applyAsDouble(res) : r.medianCpuPerMsg();
                    // whiskers: min-max over repetitions (msgs/s on top, CPU µs/msg below; the CPU bar is the median)
                    lo[i] = throughput ? r.minRate() : r.reps().stream().mapToDouble(metric).min().orElse(Double.NaN);
                    hi[i] = throughput ? r.maxRate() : r.reps().stream().mapToDouble(metric).max().orElse(Double.NaN);
                    mbps[i] = res.megabytesPerSecond();
                }
            }
            if (!Double.isNaN(vals[i])) max = Math.max(max, Double.isNaN(hi[i]) ? vals[i] : Math.max(vals[i], hi[i]));
        }
        double step = niceStep(max > 0 ? max : 1);
        double top = Math.ceil((max > 0 ? max * 1.18 : 1) / step) * step;

        // grid + y ticks
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        for (double v = 0; v <= top + step / 2; v += step) {
            int yy = axisBottom - (int) Math.round(v / top * (axisBottom - axisTop));
            g.setColor(new Color(0xE6E6E6));
            g.drawLine(axisLeft, yy, axisRight, yy);
            g.setColor(new Color(0x444444));
            String s = fmt(v, decimals);
            g.drawString(s, axisLeft - 6 - fm.stringWidth(s), yy + 4);
        }
        // y axis label (rotated)
        AffineTransform saved = g.getTransform();
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.rotate(-Math.PI / 2);
        int labelW = g.getFontMetrics().stringWidth(yLabel);
        g.drawString(yLabel, -(axisTop + axisBottom) / 2 - labelW / 2, x + 12);
        g.setTransform(saved);

        // bars
        int groupW = axisRight - axisLeft;
        int slot = groupW / Math.max(1, servers.size());
        int barW = Math.min(90, (int) (slot * 0.7));
        for (int i = 0; i < servers.size(); i++) {
            int bx = axisLeft + i * slot + (slot - barW) / 2;
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            fm = g.getFontMetrics();
            if (failed[i] || Double.isNaN(vals[i])) {
                g.setColor(new Color(0xC62828));
                String s = failed[i] ? "FAILED" : "n/a";
                g.drawString(s, bx + (barW - fm.stringWidth(s)) / 2, axisBottom - 6);
            } else {
                int bh = (int) Math.round(vals[i] / top * (axisBottom - axisTop));
                g.setColor(colors[i]);
                g.fillRect(bx, axisBottom - bh, barW, bh);
                int labelY = axisBottom - bh - 4;
                if (hi[i] > lo[i]) {
                    int yHi = axisBottom - (int) Math.round(hi[i] / top * (axisBottom - axisTop));
                    int yLo = axisBottom - (int) Math.round(lo[i] / top * (axisBottom - axisTop));
                    int cx = bx + barW / 2;
                    g.setColor(new Color(0x333333));
                    g.drawLine(cx, yHi, cx, yLo);
                    g.drawLine(cx - 6, yHi, cx + 6, yHi);
                    g.drawLine(cx - 6, yLo, cx + 6, yLo);
                    labelY = Math.min(labelY, yHi - 7);
                }
                g.setColor(new Color(0x222222));
                String s = fmt(vals[i], decimals);
                if (throughput && sc.mode() == LoadGenerator.Mode.STREAM) {
                    String mb = String.format(Locale.ROOT, "%.0f MB/s", mbps[i]);
                    if (fm.stringWidth(mb) > slot - 2) { // crowded: the unit on its own line
                        g.drawString("MB/s", bx + (barW - fm.stringWidth("MB/s")) / 2, labelY);
                        labelY -= 14;
                        mb = String.format(Locale.ROOT, "%.0f", mbps[i]);
                    }
                    g.drawString(mb, bx + (barW - fm.stringWidth(mb)) / 2, labelY);
                    labelY -= 14;
                }
                g.drawString(s, bx + (barW - fm.stringWidth(s)) / 2, labelY);
            }
            g.setColor(new Color(0x444444));
            String name = servers.get(i);
            int dash = name.indexOf('-');
            if (fm.stringWidth(name) > slot - 4 && dash > 0) { // crowded: "netty-io_uring" on two lines
                String a = name.substring(0, dash), b = name.substring(dash + 1);
                g.drawString(a, bx + (barW - fm.stringWidth(a)) / 2, axisBottom + 14);
                g.drawString(b, bx + (barW - fm.stringWidth(b)) / 2, axisBottom + 27);
            } else {
                g.drawString(name, bx + (barW - fm.stringWidth(name)) / 2, axisBottom + 15);
            }
        }
        // a cell measured while something else was using the CPU is marked, not silently plotted
        double foreign = 0;
        for (BenchCommand.Row r : rows) {
            if (!r.scenario().equals(sc)) continue;
            for (LoadGenerator.Result res : r.reps()) {
                if (res.durationNanos > 0 && res.foreignCpuNanos > 0) {
                    foreign = Math.max(foreign, (double) res.foreignCpuNanos / res.durationNanos);
                }
            }
        }
        if (throughput && foreign > 0.10) {
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
            g.setColor(new Color(0xC62828));
            String warn = String.format(Locale.ROOT, "other load up to %.0f%% CPU", 100 * foreign);
            g.drawString(warn, axisRight - g.getFontMetrics().stringWidth(warn), axisTop - 2);
        }
        // x axis + scenario label
        g.setColor(new Color(0x444444));
        g.setStroke(new BasicStroke(1.2f));
        g.drawLine(axisLeft, axisBottom, axisRight, axisBottom);
        g.drawLine(axisLeft, axisTop, axisLeft, axisBottom);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        fm = g.getFontMetrics();
        String label = describe(sc);
        g.setColor(new Color(0x222222));
        g.drawString(label, axisLeft + (groupW - fm.stringWidth(label)) / 2, axisBottom + 42);
    }

    static String describe(Scenario sc) {
        String size = sc.messageSize() % 1024 == 0 ? sc.messageSize() / 1024 + " KiB" : sc.messageSize() + " B";
        String conns = sc.connections() + (sc.connections() == 1 ? " conn" : " conns");
        return (sc.mode() == LoadGenerator.Mode.PING_PONG ? "ping-pong " : "stream ") + size + ", " + conns;
    }

    static double niceStep(double max) {
        double raw = max / 5;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / mag;
        double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
        return nice * mag;
    }

    static String fmt(double v, boolean decimals) {
        if (decimals) {
            return v >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                    : v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
        }
        if (v >= 1e6) return String.format(Locale.ROOT, "%.2fM", v / 1e6).replace(".00M", "M");
        if (v >= 1e3) return String.format(Locale.ROOT, "%.1fk", v / 1e3).replace(".0k", "k");
        return String.format(Locale.ROOT, "%.0f", v);
    }
}

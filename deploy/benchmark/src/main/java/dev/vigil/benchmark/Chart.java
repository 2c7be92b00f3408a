package dev.vigil.benchmark;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The report's PNG, drawn with Java2D (no network, no plotting library): on the left the
 * detection-latency distributions as cumulative curves on a log time axis, on the right the
 * heartbeat throughputs as bars.
 */
final class Chart {

    /** One throughput bar. */
    record Bar(String label, double perSecond, Color color) {
    }

    static final Color VIGIL = new Color(0x1f77b4);
    static final Color VIGIL_LIGHT = new Color(0x6baed6);
    static final Color CEILING = new Color(0x7f7f7f);
    static final Color BASELINE = new Color(0xd62728);
    static final Color BASELINE_LIGHT = new Color(0xff9896);
    private static final Color[] CURVES = {VIGIL, VIGIL_LIGHT, BASELINE_LIGHT, BASELINE, new Color(0x2ca02c)};

    private static final int WIDTH = 1400;
    private static final int HEIGHT = 560;
    private static final double MIN_MS = 10;
    private static final double MAX_MS = 100_000;

    private Chart() {
    }

    static void write(Path file, String title, List<Distribution> latencies, List<Bar> bars) throws IOException {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
            g.drawString(title, 30, 32);
            latencies(g, latencies, 80, 70, 620, 400);
            throughput(g, bars, 980, 70, 380, 400);
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer");
        }
    }

    /** Cumulative share of runs detected (y) by latency after the due time (x, log scale). */
    private static void latencies(Graphics2D g, List<Distribution> series, int x0, int y0, int w, int h) {
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.setColor(Color.BLACK);
        g.drawString("Detection latency after the due time (share of dead runs detected)", x0, y0 - 12);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (double ms = MIN_MS; ms <= MAX_MS; ms *= 10) {
            int x = x0 + logX(ms, w);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(x, y0, x, y0 + h);
            g.setColor(Color.DARK_GRAY);
            centered(g, ms >= 1000 ? (long) (ms / 1000) + " s" : (long) ms + " ms", x, y0 + h + 18);
        }
        for (int pct = 0; pct <= 100; pct += 25) {
            int y = y0 + h - h * pct / 100;
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(x0, y, x0 + w, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(pct + " %", x0 - 42, y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawRect(x0, y0, w, h);
        for (int i = 0; i < series.size(); i++) {
            Distribution d = series.get(i);
            g.setColor(CURVES[i % CURVES.length]);
            g.setStroke(new BasicStroke(2.5f));
            List<Long> values = d.sortedMillis();
            if (!values.isEmpty()) {
                Path2D.Double path = new Path2D.Double();
                path.moveTo(x0 + logX(values.get(0), w), y0 + h);
                for (int k = 0; k < values.size(); k++) {
                    double x = x0 + logX(values.get(k), w);
                    path.lineTo(x, y0 + h - (double) h * k / values.size());
                    path.lineTo(x, y0 + h - (double) h * (k + 1) / values.size());
                }
                g.draw(path);
            }
        }
        g.setStroke(new BasicStroke(1f));
        g.setColor(new Color(255, 255, 255, 225));
        g.fillRect(x0 + 4, y0 + 6, 330, 18 * series.size() + 8);
        for (int i = 0; i < series.size(); i++) {
            Distribution d = series.get(i);
            int ly = y0 + 20 + i * 18;
            g.setColor(CURVES[i % CURVES.length]);
            g.fillRect(x0 + 10, ly - 9, 14, 10);
            g.setColor(Color.BLACK);
            g.drawString(d.name() + "  (p99 " + Distribution.ms(d.p99()) + ")", x0 + 30, ly);
        }
    }

    private static void throughput(Graphics2D g, List<Bar> bars, int x0, int y0, int w, int h) {
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.setColor(Color.BLACK);
        g.drawString("Heartbeats per second on this machine", x0 - 180, y0 - 12);
        double max = bars.stream().mapToDouble(Bar::perSecond).max().orElse(1);
        int slot = h / Math.max(1, bars.size());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i < bars.size(); i++) {
            Bar bar = bars.get(i);
            int y = y0 + i * slot;
            int length = (int) Math.max(1, w * bar.perSecond() / max);
            g.setColor(bar.color());
            g.fillRect(x0, y + slot / 4, length, slot / 2);
            g.setColor(Color.BLACK);
            FontMetrics metrics = g.getFontMetrics();
            g.drawString(bar.label(), x0 - 8 - metrics.stringWidth(bar.label()), y + slot / 2 + 4);
            String value = String.format(Locale.ROOT, "%,.0f/s", bar.perSecond());
            int vx = x0 + length + 6;
            if (vx + metrics.stringWidth(value) > x0 + w) {
                vx = x0 + length - 6 - metrics.stringWidth(value);
                g.setColor(Color.WHITE);
            }
            g.drawString(value, vx, y + slot / 2 + 4);
        }
    }

    private static int logX(double ms, int w) {
        double clamped = Math.max(MIN_MS, Math.min(MAX_MS, ms));
        return (int) Math.round(w * Math.log10(clamped / MIN_MS) / Math.log10(MAX_MS / MIN_MS));
    }

    private static void centered(Graphics2D g, String text, int x, int y) {
        g.drawString(text, x - g.getFontMetrics().stringWidth(text) / 2, y);
    }
}

package dev.iocp.bench.echo;

/** One cell of the benchmark matrix (without the server). */
public record Scenario(LoadGenerator.Mode mode, int connections, int messageSize) {

    public static Scenario pingPong(int connections, int messageSize) {
        return new Scenario(LoadGenerator.Mode.PING_PONG, connections, messageSize);
    }

    public static Scenario stream(int connections, int messageSize) {
        return new Scenario(LoadGenerator.Mode.STREAM, connections, messageSize);
    }

    /** e.g. {@code pingpong-16B-c100}, {@code stream-16KiB-c1}. */
    public String id() {
        String size = messageSize % 1024 == 0 ? (messageSize / 1024) + "KiB" : messageSize + "B";
        return (mode == LoadGenerator.Mode.PING_PONG ? "pingpong-" : "stream-") + size + "-c" + connections;
    }
}

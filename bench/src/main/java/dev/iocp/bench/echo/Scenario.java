package dev.iocp.bench.echo;

/**
 * One cell of the benchmark matrix (without the server).
 *
 * @param windowMessages STREAM only: how many messages each connection keeps outstanding; 0 for the load
 *                       generator's default window ({@link LoadGenerator.Config#windowBytes}, 256 KiB)
 */
public record Scenario(LoadGenerator.Mode mode, int connections, int messageSize, int windowMessages) {

    public Scenario(LoadGenerator.Mode mode, int connections, int messageSize) {
        this(mode, connections, messageSize, 0);
    }

    public static Scenario pingPong(int connections, int messageSize) {
        return new Scenario(LoadGenerator.Mode.PING_PONG, connections, messageSize);
    }

    public static Scenario stream(int connections, int messageSize) {
        return new Scenario(LoadGenerator.Mode.STREAM, connections, messageSize);
    }

    /** A stream with {@code windowMessages} messages outstanding per connection (its id ends in {@code -wN}). */
    public static Scenario stream(int connections, int messageSize, int windowMessages) {
        return new Scenario(LoadGenerator.Mode.STREAM, connections, messageSize, windowMessages);
    }

    /** {@return the bytes each connection keeps outstanding (STREAM)} */
    public int windowBytes() {
        return windowMessages > 0 ? windowMessages * messageSize : new LoadGenerator.Config().windowBytes;
    }

    /** e.g. {@code pingpong-16B-c100}, {@code stream-16KiB-c1}, {@code stream-16KiB-c10-w4}. */
    public String id() {
        String size = messageSize % 1024 == 0 ? (messageSize / 1024) + "KiB" : messageSize + "B";
        return (mode == LoadGenerator.Mode.PING_PONG ? "pingpong-" : "stream-") + size + "-c" + connections
                + (windowMessages > 0 ? "-w" + windowMessages : "");
    }
}

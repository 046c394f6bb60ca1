package dev.iocp.netty;

/**
 * The negative control: an {@link IocpSocketChannel} that does what CPython's ProactorEventLoop did on
 * pause_reading (bpo-33694) — it cancels the receive in flight when auto-read is turned off, and treats the packet of
 * a receive it asked to cancel as cancelled, whatever the packet says. When the receive had already completed (the
 * cancel comes too late: ERROR_NOT_FOUND on Windows), its data is dropped. The race test must catch this variant
 * losing data; if it did not, the test would prove nothing about the real channel.
 */
final class LossyCancelOnPauseChannel extends IocpSocketChannel {
    long receivesDropped;

    @Override
    void readingStopped() {
        super.readingStopped();
        eventLoop().execute(this::cancelReceiveInFlight);
    }

    @Override
    void receiveCompleted(int bytes, int error) {
        if (cancelRequestedOnReceive()) {
            if (bytes > 0) {
                receivesDropped++;
            }
            dropReceiveAsCancelled();
            return;
        }
        super.receiveCompleted(bytes, error);
    }
}

/** The echo example, as a named module: it needs only iocp's transport module (which brings the loop's). */
module example.echo {
    requires dev.iocp.transport;
}

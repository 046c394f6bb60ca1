package dev.iocp.spring.boot;

import dev.iocp.netty.IocpServerSocketChannel;
import dev.iocp.netty.IocpSocketChannel;
import io.netty.channel.Channel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.web.server.reactive.context.ReactiveWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Spring Boot WebFlux application with iocp-spring-boot on its class path and no code of iocp's: it serves a static
 * file (Spring's resource handling writes it as a zero-copy FileRegion on plain HTTP) from iocp-netty's channels.
 * Turned off by property, the same application runs on another transport: the channel check can fail.
 */
class IocpAutoConfigurationTest {
    @TempDir
    Path staticDir;

    /** Every connection Boot's server accepts, by its channel (a customizer: Boot applies them, runOn aside). */
    static final Set<Channel> ACCEPTED = ConcurrentHashMap.newKeySet();

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class StaticFileApp {
        @Bean
        NettyServerCustomizer recordChannels() {
            return server -> server.doOnConnection(c -> ACCEPTED.add(c.channel()));
        }
    }

    private ConfigurableApplicationContext start(String... extraProperties) {
        String[] properties = new String[3 + extraProperties.length];
        properties[0] = "server.port=0";
        properties[1] = "server.address=127.0.0.1";
        properties[2] = "spring.web.resources.static-locations=" + staticDir.toUri();
        System.arraycopy(extraProperties, 0, properties, 3, extraProperties.length);
        return new SpringApplicationBuilder(StaticFileApp.class).web(WebApplicationType.REACTIVE)
                .properties(properties).run();
    }

    private byte[] writeStaticFile() throws Exception {
        byte[] content = new byte[2 * 1024 * 1024 + 5];
        new Random(3).nextBytes(content);
        Files.write(staticDir.resolve("site.bin"), content);
        return content;
    }

    private static byte[] get(ConfigurableApplicationContext context, String path) throws Exception {
        int port = ((ReactiveWebServerApplicationContext) context).getWebServer().getPort();
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30))
                        .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        return response.body();
    }

    @Test
    void bootServesAStaticFileFromIocpChannelsWithNoCodeOfIocps() throws Exception {
        byte[] content = writeStaticFile();
        ACCEPTED.clear();
        try (ConfigurableApplicationContext context = start()) {
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(content, get(context, "/site.bin"), "the static file, byte for byte");
            }
            assertFalse(ACCEPTED.isEmpty(), "the server accepted connections");
            ACCEPTED.forEach(ch -> assertInstanceOf(IocpSocketChannel.class, ch));
            ACCEPTED.forEach(ch -> assertInstanceOf(IocpServerSocketChannel.class, ch.parent()));
        }
    }

    @Test
    void turnedOffByPropertyTheSameAppRunsOnAnotherTransport() throws Exception {
        byte[] content = writeStaticFile();
        ACCEPTED.clear();
        try (ConfigurableApplicationContext context = start("iocp.enabled=false")) {
            assertArrayEquals(content, get(context, "/site.bin"));
            assertFalse(ACCEPTED.isEmpty());
            assertTrue(ACCEPTED.stream().noneMatch(ch -> ch instanceof IocpSocketChannel),
                    "iocp.enabled=false: not iocp's channels (" + ACCEPTED + ")");
        }
    }
}

package dev.iocp.spring.boot;

import dev.iocp.reactor.netty.IocpLoopResources;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.http.client.ReactorResourceFactory;
import reactor.netty.resources.LoopResources;

/**
 * Spring Boot on iocp: with this module on the class path, Boot's Reactor Netty server (WebFlux) and every client
 * built from Boot's {@link ReactorResourceFactory} run on iocp-netty's loops and channels
 * ({@link IocpLoopResources}).
 *
 * <p>The seam is the {@code ReactorResourceFactory} bean, which Boot's own Reactor Netty configuration defines only
 * when none exists: this one is defined first, with iocp's loop resources, and Boot's server factory takes its loops
 * from it. (A {@code NettyServerCustomizer} that calls {@code runOn} is not enough: Boot applies the resource
 * factory's loops after the customizers.) An application that defines its own {@code ReactorResourceFactory} keeps
 * it.
 *
 * <p>On by default wherever the module is on the class path, Windows or not: adding the dependency is the choice of
 * transport, and a transport that changed with the platform would make what was tested on Linux differ from what
 * runs on Windows. {@code iocp.enabled=false} turns it off.
 */
@AutoConfiguration(beforeName = "org.springframework.boot.reactor.netty.autoconfigure.NettyReactiveWebServerAutoConfiguration")
@ConditionalOnClass({ReactorResourceFactory.class, LoopResources.class})
@ConditionalOnProperty(prefix = "iocp", name = "enabled", havingValue = "true", matchIfMissing = true)
public class IocpAutoConfiguration {
    /** Boot's auto-configuration constructs it. */
    public IocpAutoConfiguration() {
    }

    /**
     * Reactor Netty's resources on iocp, owned by the factory (not Reactor Netty's global resources, which other
     * code in the JVM may share), disposed of when the application context closes.
     *
     * @return the factory Boot's Reactor Netty server and clients take their loops from
     */
    @Bean
    @ConditionalOnMissingBean
    public ReactorResourceFactory reactorResourceFactory() {
        ReactorResourceFactory factory = new ReactorResourceFactory();
        factory.setUseGlobalResources(false);
        factory.setLoopResourcesSupplier(() -> IocpLoopResources.create("iocp"));
        return factory;
    }
}

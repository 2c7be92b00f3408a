package dev.vigil.run.console;

import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.rules.SecurityRule;
import io.swagger.v3.oas.annotations.Hidden;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The console's page. {@code /console} redirects to {@code /console/} so the page's relative links
 * (its script, its stylesheet, {@code ../api/v1/runs}) resolve under any path prefix; {@code /console/}
 * is the page. Its other assets are static resources ({@code micronaut.router.static-resources.console}).
 */
@Controller
@Secured(SecurityRule.IS_ANONYMOUS)
@Hidden
public class ConsolePage {

    private final String page = read("console/index.html");

    /** Micronaut routes {@code /console/} here too (a trailing slash matches); only that one is the page. */
    @Get(value = "/console", produces = MediaType.TEXT_HTML)
    public HttpResponse<String> page(HttpRequest<?> request) {
        if (!request.getPath().endsWith("/")) {
            return HttpResponse.seeOther(URI.create("console/"));
        }
        return HttpResponse.ok(page).contentType(MediaType.TEXT_HTML_TYPE);
    }

    private static String read(String resource) {
        try (InputStream in = ConsolePage.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

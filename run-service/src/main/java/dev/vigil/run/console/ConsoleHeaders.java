package dev.vigil.run.console;

import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;

/**
 * The console's pages and assets (static, from the jar under {@code console/}) may load only
 * themselves and talk only to this service: no inline script, no third party, no framing. The page
 * holds a bearer token, so this is its defence in depth against injected script.
 */
@ServerFilter({"/console", "/console/**"})
public class ConsoleHeaders {

    static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    @ResponseFilter
    public void secure(MutableHttpResponse<?> response) {
        response.header("Content-Security-Policy", POLICY);
        response.header("X-Content-Type-Options", "nosniff");
        response.header("Referrer-Policy", "no-referrer");
        response.header("Cache-Control", "no-cache");
    }
}

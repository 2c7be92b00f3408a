package dev.vigil.run.webhook;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Where a webhook may be sent: an {@code http} or {@code https} URL whose host resolves only to public addresses.
 * Loopback, private (RFC 1918, IPv6 unique-local), carrier-grade NAT, link-local (the cloud metadata address
 * among them), multicast, unspecified and reserved addresses are refused unless the deployment allows private
 * targets: a tenant must not make run-service call into the cluster. IPv6 forms that carry an IPv4 address (mapped,
 * 6to4, Teredo, NAT64) are refused unless mapped to a public one. Checked when a subscription is written and again
 * before every attempt (a name may resolve elsewhere later); redirects are never followed. A name that resolves
 * differently between the check and the connection (DNS rebinding) is not caught here: deny the cluster's private
 * ranges to run-service's egress as well (a NetworkPolicy, or an egress proxy).
 */
public final class WebhookTargets {

    static final int MAX_URL_LENGTH = 2048;

    private WebhookTargets() {
    }

    /** The URL, or an {@link IllegalArgumentException} saying why it may not be a target. */
    public static URI check(String url, boolean allowPrivate) {
        if (url == null || url.isBlank() || url.length() > MAX_URL_LENGTH) {
            throw new IllegalArgumentException("url is required: an http or https URL of at most " + MAX_URL_LENGTH
                    + " characters");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("url is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("url must be http or https, was '" + uri.getScheme() + "'");
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("url must name a host, without user info or a fragment");
        }
        if (!allowPrivate) {
            InetAddress[] addresses;
            try {
                addresses = InetAddress.getAllByName(uri.getHost());
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("url's host " + uri.getHost() + " does not resolve");
            }
            for (InetAddress address : addresses) {
                if (!isPublic(address)) { // which address is not said: a tenant must not map the cluster's names
                    throw new IllegalArgumentException("url's host " + uri.getHost() + " resolves to a loopback, "
                            + "private, link-local or reserved address: webhooks go to public addresses only "
                            + "(vigil.webhooks.allow-private-targets)");
                }
            }
        }
        return uri;
    }

    static boolean isPublic(InetAddress address) {
        if (address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return false;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first != 0                                   // this network
                    && !(first == 100 && second >= 64 && second < 128) // carrier-grade NAT
                    && !(first == 192 && second == 0 && (b[2] & 0xff) == 0) // IETF protocol assignments
                    && !(first == 198 && (second == 18 || second == 19)) // benchmarking
                    && first < 240;                              // reserved and broadcast
        }
        if (address instanceof Inet6Address) {
            int first = b[0] & 0xff;
            if ((first & 0xfe) == 0xfc) {
                return false; // unique local fc00::/7
            }
            int second = b[1] & 0xff;
            if ((first == 0x20 && second == 0x02) // 6to4 2002::/16 carries an IPv4 address
                    || (first == 0x20 && second == 0x01 && b[2] == 0 && b[3] == 0) // Teredo 2001::/32
                    || (first == 0x00 && second == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b)) { // NAT64
                return false;
            }
            boolean mapped = true; // ::ffff:a.b.c.d and the deprecated ::a.b.c.d carry an IPv4 address
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            if (mapped && ((b[10] == (byte) 0xff && b[11] == (byte) 0xff) || (b[10] == 0 && b[11] == 0))) {
                try {
                    return isPublic(InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 12, 16)));
                } catch (UnknownHostException impossible) {
                    return false;
                }
            }
        }
        return true;
    }
}

package dev.skein.registry.webhook;

import dev.skein.common.catalogue.Catalogue;
import dev.skein.common.error.ApiException;
import dev.skein.registry.config.RegistryConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where webhooks may point (the SSRF policy). Refused by default: anything but http(s); the
 * platform's own services by name, or by port on this machine; private, shared, loopback,
 * link-local, unspecified, multicast and reserved addresses in IPv4 and IPv6, also when embedded in
 * IPv6 (IPv4-mapped, IPv4-compatible, NAT64, 6to4); cloud metadata addresses; and IPv4 literals in
 * any spelling but plain dotted decimal ({@code 0x7f.1}, {@code 2130706433}, {@code 0177.0.0.1}).
 * The allow-list ({@code skein.registry.webhooks.allowed-destinations}) opens CIDRs or host names
 * an organisation's own receivers use; metadata addresses stay closed whatever it says.
 *
 * <p>{@link #parse} checks what the URL says; {@link #checkAddress} each address its host resolves
 * to. The sender resolves once, checks every address and connects to the one checked.
 */
@ApplicationScoped
public class UrlGuard {

    /** A URL that passed the checks that need no DNS. */
    public record Destination(URI uri, String host, int port, boolean https, String requestUri, InetAddress literal) {}

    /** Resolves a host name (blocking). */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private record Cidr(byte[] network, int prefix) {
        static Cidr parse(String text) {
            int slash = text.indexOf('/');
            String address = slash < 0 ? text : text.substring(0, slash);
            byte[] bytes = literalBytes(address);
            if (bytes == null) {
                throw new IllegalArgumentException("'" + text + "' is not a CIDR");
            }
            int prefix = slash < 0 ? bytes.length * 8 : Integer.parseInt(text.substring(slash + 1));
            if (prefix < 0 || prefix > bytes.length * 8) {
                throw new IllegalArgumentException("'" + text + "' has an invalid prefix length");
            }
            return new Cidr(bytes, prefix);
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    // Before the address lists: parsing them uses these.
    private static final Pattern DOTTED_DECIMAL =
            Pattern.compile("(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})");
    private static final Pattern NUMERIC_PART = Pattern.compile("0[xX][0-9a-fA-F]*|[0-9]+");

    private static final List<Cidr> REFUSED_V4 = cidrs(
            "0.0.0.0/8", // "this network"
            "10.0.0.0/8", // RFC 1918
            "100.64.0.0/10", // shared address space (carrier-grade NAT; Alibaba's metadata)
            "127.0.0.0/8", // loopback
            "169.254.0.0/16", // link-local (most clouds' metadata)
            "172.16.0.0/12", // RFC 1918
            "192.0.0.0/24", // IETF protocol assignments (Oracle's metadata)
            "192.0.2.0/24", // documentation
            "192.168.0.0/16", // RFC 1918
            "198.18.0.0/15", // benchmarking
            "198.51.100.0/24", // documentation
            "203.0.113.0/24", // documentation
            "224.0.0.0/4", // multicast
            "240.0.0.0/4"); // reserved, broadcast

    private static final List<Cidr> REFUSED_V6 = cidrs(
            "::/128", // unspecified
            "::1/128", // loopback
            "100::/64", // discard
            "2001:db8::/32", // documentation
            "fc00::/7", // unique local (ULA)
            "fe80::/10", // link-local
            "fec0::/10", // site-local (deprecated)
            "64:ff9b:1::/48", // local-use NAT64 (RFC 8215): may translate to private IPv4
            "2001::/32", // Teredo: tunnels to an IPv4 address hidden in the bits
            "ff00::/8"); // multicast

    /** Metadata services: refused even when the allow-list covers them. */
    private static final List<Cidr> METADATA = cidrs(
            "169.254.169.254/32", // AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack…
            "169.254.170.2/32", // AWS ECS task metadata
            "169.254.170.23/32", // AWS EKS pod identity
            "100.100.100.200/32", // Alibaba Cloud
            "192.0.0.192/32", // Oracle Cloud
            "168.63.129.16/32", // Azure wire server
            "fd00:ec2::254/128", // AWS (IPv6)
            "fd00:ec2::23/128", // AWS EKS pod identity (IPv6)
            "fd20:ce::254/128"); // GCP (IPv6)

    private final List<String> deniedHosts;
    private final List<Integer> deniedLocalPorts;
    private final List<Cidr> allowedCidrs = new ArrayList<>();
    private final List<String> allowedHosts = new ArrayList<>();

    @Inject
    public UrlGuard(RegistryConfig config) {
        this(
                config.webhooks().allowedDestinations().orElse(List.of()),
                config.webhooks().deniedHosts(),
                withSuitePorts(config.webhooks().deniedLocalPorts()));
    }

    /** The ports configured, and every port of every service in the catalogue (HTTP and management). */
    static List<Integer> withSuitePorts(List<Integer> configured) {
        List<Integer> ports = new ArrayList<>(configured);
        for (Catalogue.Service s : Catalogue.get().services().values()) {
            ports.add(s.port());
            ports.add(s.managementPort());
        }
        return ports;
    }

    public UrlGuard(List<String> allowedDestinations, List<String> deniedHosts, List<Integer> deniedLocalPorts) {
        this.deniedHosts = deniedHosts.stream()
                .map(h -> h.trim().toLowerCase(Locale.ROOT))
                .filter(h -> !h.isEmpty())
                .toList();
        this.deniedLocalPorts = List.copyOf(deniedLocalPorts);
        for (String entry : allowedDestinations) {
            String e = entry.trim().toLowerCase(Locale.ROOT);
            if (e.isEmpty()) {
                continue;
            }
            if (e.contains("/") || literalBytes(e) != null) {
                allowedCidrs.add(Cidr.parse(e));
            } else {
                allowedHosts.add(e.endsWith(".") ? e.substring(0, e.length() - 1) : e);
            }
        }
    }

    /** The checks that need no DNS: scheme, host name, IP literals and their spelling. */
    public Destination parse(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException | NullPointerException e) {
            throw refused(url, "it is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw refused(url, "only http and https URLs are allowed");
        }
        String raw = uri.getHost();
        if (raw == null || raw.isBlank()) {
            throw refused(url, "it has no valid host");
        }
        String host = raw.toLowerCase(Locale.ROOT);
        InetAddress literal = null;
        if (host.startsWith("[")) {
            String v6 = host.substring(1, host.length() - 1);
            if (v6.contains("%")) {
                throw refused(url, "IPv6 zone identifiers are not allowed");
            }
            literal = toAddress(literalBytes(v6));
            if (literal == null) {
                throw refused(url, "it has no valid host");
            }
        } else {
            if (host.endsWith(".")) {
                host = host.substring(0, host.length() - 1);
            }
            String[] labels = host.split("\\.", -1);
            if (NUMERIC_PART.matcher(labels[labels.length - 1]).matches()) {
                // A host whose last label is a number is an IPv4 address (as browsers and
                // inet_aton read it): only the plain dotted-decimal form is accepted.
                if (!DOTTED_DECIMAL.matcher(host).matches()) {
                    throw refused(url, "IP addresses must be written in dotted-decimal form");
                }
                literal = toAddress(literalBytes(host));
                if (literal == null) {
                    throw refused(url, "it has no valid host");
                }
            } else {
                for (String denied : deniedHosts) {
                    if (host.equals(denied) || host.startsWith(denied + ".") || host.endsWith("." + denied)) {
                        throw refused(url, "it points at one of the platform's own services or a metadata endpoint");
                    }
                }
            }
        }
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String requestUri = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        if (literal != null) {
            checkAddress(url, host, port, literal);
        }
        return new Destination(
                uri,
                host.startsWith("[") ? host.substring(1, host.length() - 1) : host,
                port,
                scheme.equals("https"),
                requestUri,
                literal);
    }

    /**
     * Every address the destination's host resolves to, each one checked; the caller connects to
     * one of these and never resolves the name again. Blocking: call it off the event loop.
     */
    public List<InetAddress> resolve(Destination d, Resolver resolver) {
        if (d.literal() != null) {
            return List.of(d.literal());
        }
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(d.host());
        } catch (UnknownHostException e) {
            throw refused(d.uri().toString(), "its host does not resolve");
        }
        return checkAll(d, addresses);
    }

    /** Checks every address a host resolved to: one refused address refuses them all. */
    public List<InetAddress> checkAll(Destination d, InetAddress[] addresses) {
        if (addresses == null || addresses.length == 0) {
            throw refused(d.uri().toString(), "its host does not resolve");
        }
        for (InetAddress address : addresses) {
            checkAddress(d.uri().toString(), d.host(), d.port(), address);
        }
        return List.of(addresses);
    }

    /** Parses and resolves (blocking), as when a webhook is saved. */
    public Destination check(String url) {
        Destination d = parse(url);
        resolve(d, InetAddress::getAllByName);
        return d;
    }

    private void checkAddress(String url, String host, int port, InetAddress address) {
        byte[] bytes = address.getAddress();
        byte[] embedded = embeddedIpv4(address);
        if (matches(METADATA, bytes) || (embedded != null && matches(METADATA, embedded))) {
            throw refused(url, "it points at a cloud metadata address");
        }
        boolean allowed = allowedHosts.contains(host)
                || matches(allowedCidrs, bytes)
                || (embedded != null && matches(allowedCidrs, embedded));
        if (!allowed && isRefusedRange(address)) {
            throw refused(url, "it points at a private, loopback, link-local or reserved address");
        }
        if (deniedLocalPorts.contains(port) && isThisMachine(address)) {
            throw refused(url, "it points at one of the platform's own services");
        }
    }

    /** Private, loopback, link-local, reserved… in IPv4 or IPv6, directly or embedded in IPv6. */
    static boolean isRefusedRange(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (address instanceof Inet4Address) {
            return matches(REFUSED_V4, bytes);
        }
        byte[] embedded = embeddedIpv4(address);
        if (embedded != null && matches(REFUSED_V4, embedded)) {
            return true;
        }
        return matches(REFUSED_V6, bytes);
    }

    /**
     * The IPv4 address an IPv6 address carries: IPv4-mapped ({@code ::ffff:a.b.c.d}),
     * IPv4-compatible ({@code ::a.b.c.d}), NAT64 ({@code 64:ff9b::a.b.c.d}) or 6to4
     * ({@code 2002:AABB:CCDD::}).
     */
    static byte[] embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return null;
        }
        byte[] b = address.getAddress();
        boolean zeros80 = allZero(b, 0, 10);
        if (zeros80 && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
            return Arrays.copyOfRange(b, 12, 16);
        }
        if (zeros80 && b[10] == 0 && b[11] == 0 && !allZero(b, 12, 15)) {
            return Arrays.copyOfRange(b, 12, 16); // ::a.b.c.d (but not :: and ::1)
        }
        if (b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b && allZero(b, 4, 12)) {
            return Arrays.copyOfRange(b, 12, 16);
        }
        if (b[0] == 0x20 && b[1] == 0x02) {
            return Arrays.copyOfRange(b, 2, 6);
        }
        return null;
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean matches(List<Cidr> cidrs, byte[] address) {
        for (Cidr c : cidrs) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isThisMachine(InetAddress address) {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    /** The bytes of a dotted-decimal IPv4 or an IPv6 literal; null for anything else (no DNS). */
    static byte[] literalBytes(String text) {
        if (DOTTED_DECIMAL.matcher(text).matches()) {
            String[] parts = text.split("\\.");
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                int v = Integer.parseInt(parts[i]);
                if (v > 255) {
                    return null;
                }
                b[i] = (byte) v;
            }
            return b;
        }
        if (text.contains(":") && text.matches("[0-9a-fA-F:.]+")) {
            try {
                // With only hex digits, colons and dots this is a literal: no name lookup happens.
                byte[] b = InetAddress.getByName(text).getAddress();
                if (b.length == 4) {
                    // Java folds ::ffff:a.b.c.d into IPv4; keep the IPv6 form so it is checked as such.
                    byte[] v6 = new byte[16];
                    v6[10] = (byte) 0xff;
                    v6[11] = (byte) 0xff;
                    System.arraycopy(b, 0, v6, 12, 4);
                    return v6;
                }
                return b;
            } catch (UnknownHostException e) {
                return null;
            }
        }
        return null;
    }

    private static InetAddress toAddress(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return bytes.length == 16 ? Inet6Address.getByAddress(null, bytes, -1) : InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static List<Cidr> cidrs(String... specs) {
        return Arrays.stream(specs).map(Cidr::parse).toList();
    }

    /**
     * The refusal, naming the URL only by scheme, host and port: webhook URLs often carry their
     * receiver's secret in the path or query (Slack, Teams), and this text is logged and stored.
     */
    static ApiException refused(String url, String why) {
        return ApiException.invalidParameter("Invalid webhook URL '" + redacted(url) + "': " + why + ".");
    }

    static String redacted(String url) {
        try {
            URI uri = new URI(url);
            if (uri.getScheme() == null || uri.getRawAuthority() == null) {
                return "(not a URL)";
            }
            String host = uri.getHost() != null ? uri.getHost() : "?";
            return uri.getScheme() + "://" + host + (uri.getPort() >= 0 ? ":" + uri.getPort() : "") + "/…";
        } catch (URISyntaxException | RuntimeException e) {
            return "(not a URL)";
        }
    }
}

package dev.skein.registry.webhook;

import dev.skein.common.error.ApiException;
import dev.skein.registry.config.RegistryConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Where webhooks may point. Refused: anything but http(s); the platform's own services (by name, or
 * by port on this machine); link-local addresses, which include cloud metadata endpoints
 * (169.254.169.254, fe80::/10) and AWS's fd00:ec2::254. Checked when a webhook is saved and again,
 * by resolving the host anew, before every delivery (a name may change what it points at).
 * Resolution blocks: call it off the event loop.
 */
@ApplicationScoped
public class UrlGuard {

    private static final byte[] AWS_METADATA_V6 = {
        (byte) 0xfd, 0, 0x0e, (byte) 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54
    };

    private final List<String> deniedHosts;
    private final List<Integer> deniedLocalPorts;

    public UrlGuard(RegistryConfig config) {
        this.deniedHosts = config.webhooks().deniedHosts().stream()
                .map(h -> h.trim().toLowerCase(Locale.ROOT))
                .toList();
        this.deniedLocalPorts = config.webhooks().deniedLocalPorts();
    }

    /** The URL, parsed, or INVALID_PARAMETER_VALUE saying why it is refused. */
    public URI check(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (Exception e) {
            throw refused(url, "it is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw refused(url, "only http and https URLs are allowed");
        }
        String host = uri.getHost();
        if (host == null || host.isBlank()) {
            throw refused(url, "it has no host");
        }
        String name = host.toLowerCase(Locale.ROOT);
        for (String denied : deniedHosts) {
            if (name.equals(denied) || name.startsWith(denied + ".")) {
                throw refused(url, "it points at one of the platform's own services or a metadata endpoint");
            }
        }
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
        } catch (UnknownHostException e) {
            throw refused(url, "its host does not resolve");
        }
        for (InetAddress address : addresses) {
            if (address.isLinkLocalAddress() || isAwsMetadata(address) || address.isAnyLocalAddress()) {
                throw refused(url, "it points at a link-local or metadata address");
            }
            if (isThisMachine(address) && deniedLocalPorts.contains(port)) {
                throw refused(url, "it points at one of the platform's own services");
            }
        }
        return uri;
    }

    private static boolean isAwsMetadata(InetAddress address) {
        return address instanceof Inet6Address && java.util.Arrays.equals(address.getAddress(), AWS_METADATA_V6);
    }

    private static boolean isThisMachine(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    private static ApiException refused(String url, String why) {
        return ApiException.invalidParameter("Invalid webhook URL '" + url + "': " + why + ".");
    }
}

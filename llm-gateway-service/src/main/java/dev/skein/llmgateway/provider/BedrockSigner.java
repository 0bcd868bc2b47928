package dev.skein.llmgateway.provider;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.net.URI;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;

/**
 * Bedrock's requests signed with AWS Signature Version 4 by the AWS SDK's own signer (service {@code bedrock},
 * the endpoint's region): {@code Authorization}, {@code X-Amz-Date}, {@code x-amz-content-sha256} when the signer
 * adds it and, with a session token, {@code X-Amz-Security-Token} are set on the Vert.x request's headers. Pure
 * computation (a SHA-256 of the body and a few HMACs): fine on the event loop.
 */
final class BedrockSigner {

    /** The name Bedrock's runtime signs with (its endpoint is bedrock-runtime.*). */
    static final String SERVICE = "bedrock";

    private static final AwsV4HttpSigner SIGNER = AwsV4HttpSigner.create();

    private BedrockSigner() {}

    /** Signs a POST of {@code body} to {@code url}; {@code headers} are signed and receive the signature's. */
    static void sign(OpenAiSettings.Aws aws, String url, MultiMap headers, Buffer body) {
        SdkHttpRequest.Builder request =
                SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(URI.create(url));
        headers.forEach(h -> request.putHeader(h.getKey(), h.getValue()));
        byte[] bytes = body.getBytes();
        AwsCredentialsIdentity identity = aws.sessionToken() == null
                ? AwsCredentialsIdentity.create(aws.accessKeyId(), aws.secretAccessKey())
                : AwsSessionCredentialsIdentity.create(aws.accessKeyId(), aws.secretAccessKey(), aws.sessionToken());
        SignedRequest signed = SIGNER.sign(r -> r.identity(identity)
                .request(request.build())
                .payload(ContentStreamProvider.fromByteArrayUnsafe(bytes))
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, SERVICE)
                .putProperty(AwsV4HttpSigner.REGION_NAME, aws.region()));
        for (Map.Entry<String, List<String>> h : signed.request().headers().entrySet()) {
            if (!h.getKey().equalsIgnoreCase("Host")) { // the HttpClient writes the same host (and port) itself
                headers.set(h.getKey(), h.getValue());
            }
        }
    }
}

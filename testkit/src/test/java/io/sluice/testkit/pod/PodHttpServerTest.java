package io.sluice.testkit.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

class PodHttpServerTest {

    @Test
    void answersWithItsNameAndTheClientAddressItSaw() throws Exception {
        PodHttpServer server = PodHttpServer.start("web-1", 0);
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/any/path")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("pod=web-1 client=127.0.0.1\n");
        } finally {
            server.stop();
        }
    }

    @Test
    void argumentErrorsNameTheBadValue() {
        assertThat(PodHttpServer.Args.parse(new String[] {"--name", "a", "--port", "80"}))
                .isEqualTo(new PodHttpServer.Args("a", 80));
        assertThatThrownBy(() -> PodHttpServer.Args.parse(new String[] {"--name", "a", "--port", "http"}))
                .hasMessageContaining("'http'");
        assertThatThrownBy(() -> PodHttpServer.Args.parse(new String[] {"--name", "a"}))
                .hasMessageContaining("--port");
        assertThatThrownBy(() -> PodHttpServer.Args.parse(new String[] {"--nmae", "a"}))
                .hasMessageContaining("'--nmae'");
    }
}
